using Hourdini.Gateway.Http;
using Hourdini.Silo.Storage;

namespace Hourdini.Gateway.Api;

public static class Health
{
    /// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: the database answers and is migrated.</summary>
    public static void MapHealth(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).DisableRateLimiting()
            .WithTags("Health").Returns<OpenApi.Health>("getHealth", "Liveness: the process answers");
        app.MapGet("/readyz", async (Migrator migrator, CancellationToken ct) =>
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                return await migrator.IsCurrentAsync(timeout.Token)
                    ? Results.Ok(new { status = "ready", schema_version = Migrator.LatestVersion })
                    : Results.Json(new { status = "migrating" }, statusCode: 503);
            }
            catch (Exception error) when (Db.IsUnavailable(error) || error is OperationCanceledException)
            {
                return Results.Json(new { status = "database_unavailable" }, statusCode: 503);
            }
        }).DisableRateLimiting()
            .WithTags("Health").Returns<OpenApi.Readiness>("getReadiness", "Readiness: the database answers and is migrated (503 otherwise)")
            .Produces<OpenApi.Readiness>(StatusCodes.Status503ServiceUnavailable);
    }
}
