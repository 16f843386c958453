using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;

namespace Pipeline.IntegrationTests.Infrastructure;

/// <summary>
/// One Azurite process for the whole test assembly (registered as an assembly fixture in
/// <c>AssemblyFixtures.cs</c>; tests take it through their constructor). It listens on 127.0.0.1 with port 0 for
/// blob, queue and table, reads the real ports from Azurite's stdout, keeps its data in a temporary folder and is
/// killed (with that folder deleted) when the assembly finishes. Each test makes its own container with
/// <see cref="CreateContainerAsync"/> instead of restarting Azurite.
/// </summary>
/// <remarks>
/// Set <c>AZURITE_CONNECTION_STRING</c> to use an Azurite that is already running (no process is started).
/// </remarks>
public sealed partial class AzuriteFixture : IAsyncLifetime
{
    /// <summary>The environment variable naming an existing Azurite to use instead of starting one.</summary>
    public const string ConnectionStringVariable = "AZURITE_CONNECTION_STRING";

    /// <summary>Azurite's well-known development account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The well-known key of <see cref="AccountName"/> (public; not a secret).</summary>
    public const string AccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _output = new();
    private readonly Dictionary<string, Uri> _listening = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _allListening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private string? _location;
    private string? _connectionString;
    private BlobServiceClient? _blobServiceClient;

    /// <summary>The full connection string, with explicit Blob/Queue/Table endpoints for the ports Azurite took.</summary>
    public string ConnectionString => _connectionString ?? throw NotStarted();

    /// <summary>A client for the blob service (shared key of the dev account, so it can make SAS URIs).</summary>
    public BlobServiceClient BlobServiceClient => _blobServiceClient ?? throw NotStarted();

    /// <summary>The blob service endpoint, e.g. <c>http://127.0.0.1:41234/devstoreaccount1</c>.</summary>
    public Uri BlobEndpoint => BlobServiceClient.Uri;

    /// <summary>True when this fixture started Azurite; false when it uses <c>AZURITE_CONNECTION_STRING</c>.</summary>
    public bool OwnsProcess => _process is not null;

    /// <summary>How long starting Azurite (or connecting to an existing one) took.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>What the Azurite process wrote to stdout/stderr so far (empty for an external Azurite).</summary>
    public string CapturedOutput
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Creates a container with a unique valid name (<paramref name="prefix"/>, lowercased and reduced to letters,
    /// digits and single hyphens, plus a random suffix) so each test works in its own container.
    /// </summary>
    public async Task<BlobContainerClient> CreateContainerAsync(string prefix = "test")
    {
        var container = BlobServiceClient.GetBlobContainerClient(UniqueContainerName(prefix));
        await container.CreateAsync(cancellationToken: TestContext.Current.CancellationToken);
        return container;
    }

    /// <summary>A valid, unique container name (3–63 chars of [a-z0-9-], no double or edge hyphens).</summary>
    public static string UniqueContainerName(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var cleaned = NotNameChars().Replace(prefix.ToLowerInvariant(), "-");
        cleaned = Hyphens().Replace(cleaned, "-").Trim('-');
        var suffix = Guid.NewGuid().ToString("N")[..12];
        if (cleaned.Length > 63 - 1 - suffix.Length)
        {
            cleaned = cleaned[..(63 - 1 - suffix.Length)].TrimEnd('-');
        }

        return cleaned.Length == 0 ? "c-" + suffix : cleaned + "-" + suffix;
    }

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        var external = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            _connectionString = external;
            _blobServiceClient = new BlobServiceClient(external);
            StartupTime = stopwatch.Elapsed;
            return;
        }

        await StartAzuriteAsync();
        StartupTime = stopwatch.Elapsed;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        var process = _process;
        _process = null;
        if (process is not null)
        {
            await StopAsync(process);
        }

        if (_location is not null)
        {
            DeleteDirectory(_location);
            _location = null;
        }
    }

    private async Task StartAzuriteAsync()
    {
        var root = FindRepositoryRoot();
        var script = Path.Combine(root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed ({script} is missing). Run scripts/setup.sh from the repository root " +
                $"(it runs `npm ci`), or set {ConnectionStringVariable} to use an Azurite that is already running.");
        }

        _location = Path.Combine(Path.GetTempPath(), "azurite-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_location);

        var start = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            CreateNoWindow = true,
            WorkingDirectory = _location,
        };
        foreach (var argument in new[]
                 {
                     script, "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose",
                     "--location", _location,
                     "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
                     "--blobPort", "0", "--queuePort", "0", "--tablePort", "0",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnOutput(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => OnOutput(e.Data, isError: true);
        process.Exited += (_, _) => _allListening.TrySetException(new InvalidOperationException("Azurite exited."));
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            DeleteDirectory(_location);
            _location = null;
            throw new InvalidOperationException(
                "Could not start `node` to run Azurite; install Node.js (20+) and run scripts/setup.sh. " + e.Message, e);
        }

        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(StartupTimeout);
        try
        {
            await _allListening.Task.WaitAsync(timeout.Token);
            Uri blob, queue, table;
            lock (_listening)
            {
                (blob, queue, table) = (_listening["Blob"], _listening["Queue"], _listening["Table"]);
            }

            await WaitUntilAnsweringAsync([blob, queue, table], timeout.Token);

            _connectionString = string.Create(
                CultureInfo.InvariantCulture,
                $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
                $"BlobEndpoint={Endpoint(blob)};QueueEndpoint={Endpoint(queue)};TableEndpoint={Endpoint(table)};");
            _blobServiceClient = new BlobServiceClient(_connectionString);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or HttpRequestException)
        {
            var reason = e is OperationCanceledException
                ? $"did not answer within {StartupTimeout.TotalSeconds:0} s"
                : process.HasExited
                    ? $"exited with code {process.ExitCode}"
                    : e.Message;
            await DisposeAsync();
            throw new InvalidOperationException(
                $"Azurite ({script}) {reason}.{Environment.NewLine}--- Azurite output ---{Environment.NewLine}{CapturedOutput}",
                e);
        }
    }

    private static string Endpoint(Uri service) => new Uri(service, AccountName).ToString();

    private void OnOutput(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append(isError ? "[stderr] " : string.Empty).AppendLine(line);
        }

        var match = ListeningLine().Match(line);
        if (!match.Success)
        {
            return;
        }

        lock (_listening)
        {
            _listening[match.Groups["service"].Value] = new Uri(match.Groups["url"].Value.TrimEnd('/') + "/");
            if (_listening.Count == 3)
            {
                _allListening.TrySetResult();
            }
        }
    }

    /// <summary>Any HTTP answer (Azurite replies 400/403 to an anonymous GET) shows the service is serving.</summary>
    private static async Task WaitUntilAnsweringAsync(IReadOnlyList<Uri> services, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var service in services)
        {
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(service, AccountName), cancellationToken);
                    break;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100, cancellationToken);
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The 5 s per-request timeout; try again until the overall timeout.
                }
            }
        }
    }

    private static async Task StopAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(wait.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException
                                      or System.ComponentModel.Win32Exception)
        {
            // Already gone, or would not die in time: nothing more a test run can do.
        }
        finally
        {
            process.Dispose();
        }
    }

    private static void DeleteDirectory(string path)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>The folder holding <c>Pipeline.sln</c>, found by walking up from the test binaries.</summary>
    public static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"Could not find Pipeline.sln in {AppContext.BaseDirectory} or any folder above it.");
    }

    private static InvalidOperationException NotStarted() =>
        new("The Azurite fixture has not been initialised (it is an assembly fixture; take it in the constructor).");

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at (?<url>https?://\S+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex("[^a-z0-9-]")]
    private static partial Regex NotNameChars();

    [GeneratedRegex("-{2,}")]
    private static partial Regex Hyphens();
}
