namespace FalEmulator.Tests;

/// <summary>The settings that point a pipeline host at the emulator: their keys and values, as configuration and as arguments.</summary>
public sealed class PipelineSettingsTests
{
    [Fact]
    public void For_AnEmulator_PointsFalsApisTheKeyTheJwksAndTheMediaHostAtIt()
    {
        var settings = PipelineSettings.For(new Uri("http://127.0.0.1:5123"), "id:secret");

        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["Fal:BaseUrl"] = "http://127.0.0.1:5123/",
                ["Fal:AdminBaseUrl"] = "http://127.0.0.1:5123/",
                ["FAL_KEY"] = "id:secret",
                ["FalWebhook:JwksUrl"] = "http://127.0.0.1:5123/.well-known/jwks.json",
                ["Pipeline:MediaHosts:0"] = "127.0.0.1",
                ["Pipeline:AllowHttpDownloads"] = "true",
            },
            settings);
    }

    [Fact]
    public void For_AProxyInFront_SendsTheApiCallsThereAndKeepsTheJwksAndMediaHostOfTheEmulator()
    {
        var settings = PipelineSettings.For(new Uri("http://127.0.0.1:5123/"), "id:secret", api: new Uri("http://localhost:6000"));

        Assert.Equal("http://localhost:6000/", settings["Fal:BaseUrl"]);
        Assert.Equal("http://localhost:6000/", settings["Fal:AdminBaseUrl"]);
        Assert.Equal("http://127.0.0.1:5123/.well-known/jwks.json", settings["FalWebhook:JwksUrl"]);
        Assert.Equal("127.0.0.1", settings["Pipeline:MediaHosts:0"]);
    }

    [Fact]
    public async Task For_ARunningEmulator_UsesItsAddressKeyAndJwks()
    {
        await using var emulator = await FalEmulatorHost.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

        var settings = PipelineSettings.For(emulator);

        Assert.Equal(emulator.BaseAddress.ToString(), settings["Fal:BaseUrl"]);
        Assert.Equal(emulator.ApiKey, settings["FAL_KEY"]);
        Assert.Equal(emulator.JwksUrl, settings["FalWebhook:JwksUrl"]);
        Assert.Equal(emulator.BaseAddress.Host, settings["Pipeline:MediaHosts:0"]);
    }

    [Fact]
    public void AsArguments_GivesEachSettingAsAnOptionAndItsValue()
    {
        var arguments = PipelineSettings.For(new Uri("http://127.0.0.1:5123"), "id:secret").AsArguments();

        Assert.Equal(
        [
            "--Fal:BaseUrl", "http://127.0.0.1:5123/",
            "--Fal:AdminBaseUrl", "http://127.0.0.1:5123/",
            "--FAL_KEY", "id:secret",
            "--FalWebhook:JwksUrl", "http://127.0.0.1:5123/.well-known/jwks.json",
            "--Pipeline:MediaHosts:0", "127.0.0.1",
            "--Pipeline:AllowHttpDownloads", "true",
        ],
        arguments);
    }
}
