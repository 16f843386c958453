using FalEmulator;

namespace Pipeline.LocalHost.Startup;

/// <summary>The fal emulator inside the local host (<see cref="LocalHostOptions.UseEmulator"/>), stopped after it.</summary>
internal static class EmbeddedEmulator
{
    /// <summary>Starts the emulator as the <c>LocalHost:Emulator*</c> settings ask; null when real fal is asked for.</summary>
    public static async Task<FalEmulatorHost?> StartAsync(LocalHostOptions options)
    {
        if (!options.UseEmulator)
        {
            return null;
        }

        return await FalEmulatorHost.StartAsync(o =>
        {
            o.TimeScale = options.EmulatorTimeScale;
            o.Runners = options.EmulatorRunners;
        }, options.EmulatorPort);
    }

    /// <summary>Disposes the emulator, if any, once the host has stopped.</summary>
    public static WebApplication StopEmulatorAfter(this WebApplication app, FalEmulatorHost? emulator)
    {
        if (emulator is not null)
        {
            app.Lifetime.ApplicationStopped.Register(() => emulator.DisposeAsync().AsTask().GetAwaiter().GetResult());
        }

        return app;
    }
}
