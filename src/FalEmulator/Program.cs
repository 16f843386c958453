using FalEmulator;

// Standalone: dotnet run --project src/FalEmulator -- --urls http://127.0.0.1:8090
// (settings under "FalEmulator", e.g. --FalEmulator:TimeScale 0.1 or FalEmulator__DefaultFaults=webhook=drop).
var app = EmulatorApp.Build(args, configureBuilder: builder =>
{
    if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
    {
        builder.WebHost.UseUrls("http://127.0.0.1:8090");
    }
});
app.Run();

public partial class Program;
