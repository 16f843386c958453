using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Pipeline.Functions.Http;

/// <summary>Runs a minimal-API <see cref="IResult"/> from a Functions HTTP trigger (which returns <see cref="IActionResult"/>).</summary>
public sealed class HttpResultAction(IResult result) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
}
