using Pipeline.IntegrationTests.Infrastructure;

namespace Pipeline.IntegrationTests.Support;

/// <summary>
/// Tests of the local host as a program: an Azurite of their own (its inbox container must not see other tests'
/// drops) and a home folder of their own (inbox/, videos/, events.jsonl), both gone afterwards.
/// </summary>
public abstract class OwnAzuriteAndHome(string homePrefix) : IAsyncLifetime
{
    protected AzuriteFixture Azurite { get; } = new();

    protected string Home { get; } = Directory.CreateTempSubdirectory(homePrefix).FullName;

    public ValueTask InitializeAsync() => Azurite.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        await Azurite.DisposeAsync();
        Directory.Delete(Home, recursive: true);
        GC.SuppressFinalize(this);
    }
}
