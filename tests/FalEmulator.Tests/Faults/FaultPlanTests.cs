using FalEmulator.Faults;

namespace FalEmulator.Tests.Faults;

public sealed class FaultPlanTests
{
    [Fact]
    public void Parse_EveryKnob_SetsItsField()
    {
        var plan = FaultPlan.Parse("queue=250ms; run=3s, webhook=drop; webhook_duplicates=2; webhook_delay=1m; submit_429=1; "
                                   + "submit_500=2; result=error:422; file=truncated; cancel=ignore");

        Assert.Equal(TimeSpan.FromMilliseconds(250), plan.QueueLatency);
        Assert.Equal(TimeSpan.FromSeconds(3), plan.RunLatency);
        Assert.Equal(WebhookFault.Drop, plan.Webhook);
        Assert.Equal(2, plan.WebhookDuplicates);
        Assert.Equal(TimeSpan.FromMinutes(1), plan.WebhookDelay);
        Assert.Equal(1, plan.Submit429);
        Assert.Equal(2, plan.Submit500);
        Assert.Equal(ResultFault.Error, plan.Result);
        Assert.Equal(422, plan.ResultErrorStatus);
        Assert.Equal(FileFault.Truncated, plan.File);
        Assert.True(plan.IgnoreCancel);
    }

    [Fact]
    public void Parse_TheKnobsOfLostAndUnreadableAnswers_SetTheirFields()
    {
        var plan = FaultPlan.Parse("submit_no_id=2; submit_delay=3s; result_503=2; webhook=no-payload; request=forgotten");

        Assert.Equal(2, plan.SubmitNoId);
        Assert.Equal(TimeSpan.FromSeconds(3), plan.SubmitDelay);
        Assert.Equal(2, plan.Result503);
        Assert.Equal(WebhookFault.NoPayload, plan.Webhook);
        Assert.True(plan.Forgotten);
    }

    [Fact]
    public void Parse_OnABaseline_KeepsWhatItDoesNotOverride()
    {
        var instance = FaultPlan.Parse("webhook=drop; file=gone");

        var request = FaultPlan.Parse("file=ok", instance);

        Assert.Equal(WebhookFault.Drop, request.Webhook);
        Assert.Equal(FileFault.None, request.File);
    }

    [Fact]
    public void Parse_SlowFile_TakesItsDuration()
    {
        var slow = FaultPlan.Parse("file=slow");
        Assert.Equal((FileFault.Slow, TimeSpan.FromSeconds(10)), (slow.File, slow.SlowFileDuration));
        Assert.Equal(TimeSpan.FromSeconds(20), FaultPlan.Parse("file=slow:20s").SlowFileDuration);
    }

    [Theory]
    [InlineData("nonsense=1")]
    [InlineData("webhook=sometimes")]
    [InlineData("submit_429=-1")]
    [InlineData("queue=soon")]
    [InlineData("result=error:200")]
    [InlineData("request=lost")]
    [InlineData("submit_delay=later")]
    public void Parse_BadSpec_Throws(string spec) => Assert.Throws<FormatException>(() => FaultPlan.Parse(spec));

    [Fact]
    public void ExtractFromPrompt_FindsTheMarkerAndStripsIt()
    {
        var spec = FaultPlan.ExtractFromPrompt("A cat [emulator: webhook=drop] on a roof", out var prompt);

        Assert.Equal(" webhook=drop", spec);
        Assert.Equal("A cat  on a roof", prompt);
        Assert.Null(FaultPlan.ExtractFromPrompt("A cat", out _));
    }
}
