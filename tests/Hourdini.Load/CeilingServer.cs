using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hourdini.Load;

/// <summary>
/// The HTTP ceiling: Kestrel with one trivial endpoint that reads a JSON body like a log call's and answers
/// a small JSON object. Nothing is stored, so what it sustains is what HTTP on this machine allows. It also serves the
/// benchmark's webhook receiver (<c>/hook</c>).
/// </summary>
public static class CeilingServer
{
    public const string Kind = "ceiling";

    public static async Task ServeAsync(string urls, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseSetting("urls", urls);
        var app = builder.Build();
        app.MapPost("/ceiling", async (HttpContext context) =>
        {
            using var body = new StreamReader(context.Request.Body);
            var text = await body.ReadToEndAsync();
            context.Response.StatusCode = 201;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$$"""{"event":{"seq":1,"type":"log","bytes":{{{text.Length}}}}}""");
        });
        // A webhook receiver for the benchmark's runs with webhooks (deploy/bench.sh): reads the delivery, answers 204.
        app.MapPost("/hook", async (HttpContext context) =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        await ((IHost)app).RunAsync(ct);
    }

    public static async Task CallAsync(Api api, Pacer pacer, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await api.CallAsync(Kind, HttpMethod.Post, "/ceiling", """{"type":"log","message":"0196f7a1c0de4b8e9a1b2c3d4e5f6a7b 42"}""",
                await pacer.NextAsync(stop));
        }
    }
}
