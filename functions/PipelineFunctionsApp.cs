using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Core.DependencyInjection;

namespace Pipeline.Functions;

/// <summary>The Functions app's services: the pipeline core and nothing else. Program.cs and the wiring test both call this.</summary>
public static class PipelineFunctionsApp
{
    public static IHostApplicationBuilder AddPipelineFunctions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddVideoPipeline();
        return builder;
    }
}
