using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Core.Callbacks;
using Pipeline.Core.Events;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Requests;

namespace Pipeline.UnitTests.Callbacks;

public sealed class CallbackRulesTests
{
    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("20.42.65.92", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("169.254.169.254", false)] // the cloud metadata endpoint
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:10.0.0.1", false)] // IPv4-mapped: judged as the IPv4 it is
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("64:ff9b::a00:1", false)] // NAT64 could reach any IPv4
    public void OnlyPublicUnicastAddresses_AreTargets(string address, bool expected) =>
        Assert.Equal(expected, CallbackTargets.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public void Split_TakesAnHttpsUrlAndAnEventFilter_AndRemovesBothFields()
    {
        var body = new JsonObject
        {
            ["prompt"] = "x",
            ["webhook_url"] = "https://hooks.example.com/video?t=1",
            ["webhook_events"] = new JsonArray("succeeded", "failed"),
        };
        var errors = new ValidationErrors();

        var callback = JobCallback.Split(body, new CallbackOptions(), errors);

        Assert.Empty(errors);
        Assert.Equal("https://hooks.example.com/video?t=1", callback!.Url);
        Assert.Equal(["succeeded", "failed"], callback.Events);
        Assert.Equal("https://hooks.example.com", callback.Origin);
        Assert.True(callback.Wants(JobEventTypes.Failed));
        Assert.False(callback.Wants(JobEventTypes.Submitted));
        Assert.Equal(["prompt"], body.Select(p => p.Key));
    }

    [Theory]
    [InlineData("http://hooks.example.com/x", null, "webhook_url", "must be an https URL")]
    [InlineData("https://10.0.0.5/x", null, "webhook_url", "must not point to a private, loopback or link-local address")]
    [InlineData("https://[::1]/x", null, "webhook_url", "must not point to a private, loopback or link-local address")]
    [InlineData(
        "https://169.254.169.254/latest/meta-data", null, "webhook_url", "must not point to a private, loopback or link-local address")]
    [InlineData("https://a.example.com/#f", null, "webhook_url", "may not carry a user name, password or fragment")]
    [InlineData("https://a.example.com/", "everything", "webhook_events", "must be a list of submitted, succeeded, failed, cancelled")]
    [InlineData(null, "succeeded", "webhook_events", "needs webhook_url")]
    public void Split_RefusesByField(string? url, string? events, string field, string problem)
    {
        var body = new JsonObject();
        if (url is not null)
        {
            body["webhook_url"] = url;
        }

        if (events is not null)
        {
            body["webhook_events"] = events;
        }

        var errors = new ValidationErrors();
        Assert.Null(JobCallback.Split(body, new CallbackOptions(), errors));
        Assert.Equal([problem], errors[field]);
    }

    [Fact]
    public void Signature_IsStandardWebhooks_OnePerSecret()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var other = RandomNumberGenerator.GetBytes(32);
        var body = Encoding.UTF8.GetBytes("""{"a":1}""");

        var header = CallbackSigner.Signature([key, other], "msg_1", 1_700_000_000, body);

        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("msg_1.1700000000.{\"a\":1}")));
        Assert.Equal($"v1,{expected}", header.Split(' ')[0]);
        Assert.Equal(2, header.Split(' ').Length);
        Assert.Equal(key, CallbackSigner.KeyOf("whsec_" + Convert.ToBase64String(key)));
        Assert.Null(CallbackSigner.KeyOf("whsec_c2hvcnQ=")); // too short to be a key
        Assert.Null(CallbackSigner.KeyOf("not base64!"));
    }

    [Fact]
    public async Task ANameThatResolvesToAPrivateAddress_IsRefusedWhenConnecting_NothingIsSent()
    {
        var options = new CallbackOptions { AllowHttp = true, Secrets = [CallbackSigner.NewSecret()], Timeout = TimeSpan.FromSeconds(5) };
        using var http = new HttpClient(CallbackSender.Handler(options));
        var sender = new CallbackSender(
            http, Options.Create(options), Options.Create(new PipelineOptions()), TimeProvider.System, NullLogger<CallbackSender>.Instance);
        var jobEvent = new JobEvent(
            JobEventTypes.Submitted,
            "videos/x",
            DateTimeOffset.UtcNow,
            new JobEventData(
                "api-x", VideoMode.TextToVideo, "http", null, null, null, null, new JobTimeline(DateTimeOffset.UtcNow, null, null, null)));

        var attempt = await sender.SendAsync(new JobCallback("http://localhost:9/hook"), jobEvent, TestContext.Current.CancellationToken);

        Assert.False(attempt.Delivered);
        Assert.Null(attempt.Status);
        Assert.Contains("private, loopback or link-local", attempt.Error, StringComparison.Ordinal);
    }
}
