using System.Text.Json;
using Pipeline.Core.Activities;
using Pipeline.Core.Costs;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Activities;

/// <summary>
/// The submit's outcome as durable history keeps it: each outcome round-trips under its kind, with the default
/// options (the local worker) and camelCase (a Functions worker's serializer); version 1's flag-shaped outcome, which
/// histories of jobs started before version 2 hold, reads as the outcome it meant.
/// </summary>
public sealed class SubmitToFalOutcomeJsonTests
{
    private static readonly FalRequestRef Ref = new("r1", new Uri("https://queue.fal.run/a/b/requests/r1/status"),
        new Uri("https://queue.fal.run/a/b/requests/r1"), new Uri("https://queue.fal.run/a/b/requests/r1/cancel"));

    public static TheoryData<SubmitToFalOutcome> Outcomes() =>
    [
        new SubmitToFalOutcome.Submitted(Ref, 3, new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero), true, true)
        {
            Mode = VideoMode.ReferenceToVideo, Cost = new JobCost(4, 0.43m), EndUserId = "u-1",
        },
        new SubmitToFalOutcome.OutcomeUnknown(true) { Cost = new JobCost(4, 0.43m) },
        new SubmitToFalOutcome.NotSubmitted(new JobError("budget_exceeded", "over")),
        new SubmitToFalOutcome.WaitingForSlot(),
        new SubmitToFalOutcome.WaitingForCompanion(TimeSpan.FromSeconds(5)) { Mode = VideoMode.ImageToVideo },
        new SubmitToFalOutcome.Superseded(),
    ];

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void Outcome_RoundTripsUnderItsKind(SubmitToFalOutcome outcome)
    {
        foreach (var options in new[] { JsonSerializerOptions.Default, new JsonSerializerOptions(JsonSerializerDefaults.Web) })
        {
            // As the durable data converter writes a result: under its runtime type.
            var json = JsonSerializer.Serialize((object)outcome, options);

            var read = JsonSerializer.Deserialize<SubmitToFalOutcome>(json, options)!;

            Assert.Equal(outcome.GetType(), read.GetType());
            Assert.Equal(json, JsonSerializer.Serialize((object)read, options));
            Assert.Equal(json, JsonSerializer.Serialize(read, options));
        }
    }

    [Theory]
    [InlineData(
        """
        {"Request":{"RequestId":"r1","StatusUrl":"https://q/s","ResponseUrl":"https://q/r","CancelUrl":"https://q/c"},
         "QueuePosition":2,"Error":null,"Mode":"image-to-video","Superseded":false,"SubmittedAt":"2026-12-01T12:00:00+00:00",
         "Announced":true,"OutcomeUnknown":false,"WaitingForSlot":false,"Cost":{"video_seconds":4,"estimated_cost_usd":0.43},
         "EndUserId":"u","Correlation":null,"HoldsSlot":true}
        """,
        typeof(SubmitToFalOutcome.Submitted))]
    [InlineData(
        """
        {"Request":null,"QueuePosition":null,"Error":null,"Mode":"image-to-video","Superseded":false,"SubmittedAt":null,
         "Announced":false,"OutcomeUnknown":true,"WaitingForSlot":false,"Cost":null,"EndUserId":null,"Correlation":null,"HoldsSlot":true}
        """,
        typeof(SubmitToFalOutcome.OutcomeUnknown))]
    [InlineData(
        """
        {"Request":null,"QueuePosition":null,"Error":null,"Mode":null,"Superseded":false,"SubmittedAt":null,
         "Announced":false,"OutcomeUnknown":false,"WaitingForSlot":true,"Cost":null,"EndUserId":null,"Correlation":null,"HoldsSlot":false}
        """,
        typeof(SubmitToFalOutcome.WaitingForSlot))]
    [InlineData(
        """
        {"Request":null,"QueuePosition":null,"Error":null,"Mode":"image-to-video","Superseded":true,"SubmittedAt":null,
         "Announced":false,"OutcomeUnknown":false,"WaitingForSlot":false,"Cost":null,"EndUserId":null,"Correlation":null,"HoldsSlot":false}
        """,
        typeof(SubmitToFalOutcome.Superseded))]
    [InlineData(
        """
        {"Request":null,"QueuePosition":null,"Error":{"code":"fal_rejected","message":"no"},"Mode":null,"Superseded":false,
         "SubmittedAt":null,"Announced":false,"OutcomeUnknown":false,"WaitingForSlot":false,"Cost":null,"EndUserId":null,
         "Correlation":null,"HoldsSlot":false}
        """,
        typeof(SubmitToFalOutcome.NotSubmitted))]
    public void Version1Outcome_ReadsAsTheOutcomeItMeant(string json, Type expected)
    {
        var read = JsonSerializer.Deserialize<SubmitToFalOutcome>(json)!;

        Assert.IsType(expected, read);
    }

    [Fact]
    public void Version1Submitted_KeepsItsRequestAndWhatTheJobTurnedOutToBe()
    {
        var read = JsonSerializer.Deserialize<SubmitToFalOutcome>("""
            {"Request":{"RequestId":"r1","StatusUrl":"https://q/s","ResponseUrl":"https://q/r","CancelUrl":"https://q/c"},
             "QueuePosition":2,"Mode":"reference-to-video","SubmittedAt":"2026-12-01T12:00:00+00:00","Announced":true,
             "Cost":{"video_seconds":4,"estimated_cost_usd":0.43},"HoldsSlot":true}
            """);

        var submitted = Assert.IsType<SubmitToFalOutcome.Submitted>(read);
        Assert.Equal(
            ("r1", 2, true, true),
            (submitted.Request.RequestId, submitted.QueuePosition, submitted.Announced, submitted.HoldsSlot));
        Assert.Equal(VideoMode.ReferenceToVideo, submitted.Mode);
        Assert.Equal(new JobCost(4, 0.43m), submitted.Cost);
    }

    [Fact]
    public void Version1Outcome_KeepsItsEndUserAndCorrelation()
    {
        var read = JsonSerializer.Deserialize<SubmitToFalOutcome>("""
            {"Request":null,"Mode":"text-to-video","OutcomeUnknown":true,"EndUserId":"u-1","Correlation":{"order":"o-1"},"HoldsSlot":true}
            """)!;

        var unknown = Assert.IsType<SubmitToFalOutcome.OutcomeUnknown>(read);
        Assert.True(unknown.HoldsSlot);
        Assert.Equal((VideoMode.TextToVideo, "u-1", "o-1"), (unknown.Mode, unknown.EndUserId, unknown.Correlation?["order"]));
    }

    [Fact]
    public void Version1RefusalWithoutAnError_IsFalRejected() =>
        Assert.Equal(
            "fal_rejected",
            Assert.IsType<SubmitToFalOutcome.NotSubmitted>(
                JsonSerializer.Deserialize<SubmitToFalOutcome>("""{"Request":null}""")).Error.Code);
}
