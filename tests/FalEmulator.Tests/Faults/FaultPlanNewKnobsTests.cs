using FalEmulator.Faults;

namespace FalEmulator.Tests.Faults;

public sealed class FaultPlanNewKnobsTests
{
    [Fact]
    public void Parse_SubmitLostAndAnswerHost()
    {
        var plan = FaultPlan.Parse("submit_lost=2; answer_host=localhost:5123");

        Assert.Equal(2, plan.SubmitLost);
        Assert.Equal("localhost:5123", plan.AnswerHost);
    }

    [Fact]
    public void SubmitRefusals_LostAnswersComeAfterTheRefusalsThenAnswers()
    {
        var refusals = new SubmitRefusals();
        var plan = FaultPlan.Parse("submit_429=1, submit_lost=1");
        var body = "{\"prompt\":\"p\"}"u8.ToArray();

        Assert.Equal(SubmitFate.Refused429, refusals.Next("e/a", body, plan));
        Assert.Equal(SubmitFate.AnswerLost, refusals.Next("e/a", body, plan));
        Assert.Equal(SubmitFate.Answered, refusals.Next("e/a", body, plan));
    }
}
