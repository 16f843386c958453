using Pipeline.IntegrationTests.Infrastructure;

// One Azurite for every integration test: created before the first test that asks for it, disposed after the last.
[assembly: AssemblyFixture(typeof(AzuriteFixture))]
