using Microsoft.Extensions.Logging.Console;

namespace Pipeline.LocalHost.Console;

/// <summary>
/// The console's logger provider without the engine's <see cref="HarmlessEngineWarnings"/>: logger filters see only a
/// category and a level, and silencing whole engine categories would hide the warnings that matter.
/// </summary>
[ProviderAlias("Console")] // Logging:Console:* settings keep applying
public sealed class QuietConsoleLoggerProvider(ILoggerProvider console) : ILoggerProvider, ISupportExternalScope
{
    /// <summary>Puts this provider in the place of the console's (which the host's defaults and <c>AddSimpleConsole</c> add).</summary>
    public static void ReplaceConsole(ILoggingBuilder logging)
    {
        var console = logging.Services.Single(
            d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        logging.Services.Remove(console);
        logging.Services.AddSingleton<ILoggerProvider>(
            services => new QuietConsoleLoggerProvider(ActivatorUtilities.CreateInstance<ConsoleLoggerProvider>(services)));
    }

    public ILogger CreateLogger(string categoryName)
    {
        var logger = console.CreateLogger(categoryName);
        return HarmlessEngineWarnings.MayLogIn(categoryName) ? new QuietLogger(logger, categoryName) : logger;
    }

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) =>
        (console as ISupportExternalScope)?.SetScopeProvider(scopeProvider);

    public void Dispose() => console.Dispose();

    private sealed class QuietLogger(ILogger logger, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => logger.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logger.IsEnabled(logLevel);

        public void Log<TState>(
            LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!HarmlessEngineWarnings.IsHarmless(category, logLevel, eventId, formatter(state, exception)))
            {
                logger.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
