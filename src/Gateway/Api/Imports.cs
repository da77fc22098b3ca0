using System.Text;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Gateway.Imports;
using Hourdini.Grains.Common;
using Hourdini.Grains.Projects;
using Hourdini.Silo.Storage.Imports;
using Microsoft.AspNetCore.Http.Features;

namespace Hourdini.Gateway.Api;

/// <summary>
/// R30: <c>POST /imports?source=toggl|clockify|harvest&amp;dry_run=&amp;tz=&amp;currency=</c> with a detailed CSV export as the
/// body. People who may write only (not viewers, not agent tokens). A file holds at most 5 MiB and 10,000 rows.
/// <c>currency</c> (default USD) is the currency of a client the import creates when the file names none.
/// </summary>
public static class ImportsApi
{
    public const int MaxBytes = 5 * 1024 * 1024;

    public static void MapImports(this RouteGroupBuilder api)
    {
        api.MapPost("/imports", ImportAsync).RequireAuthorization().WithTags("Time entries")
            .Accepts<string>("text/csv")
            .Returns<OpenApi.ImportReply>("importTimeEntries", "Import a Toggl, Clockify or Harvest CSV export (201; 200 for a dry run)", StatusCodes.Status201Created)
            .Produces<OpenApi.ImportReply>(StatusCodes.Status200OK);
    }

    private static async Task<IResult> ImportAsync(
        string? source, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "dry_run")] string? dryRun, string? tz, string? currency,
        HttpContext context, ImportStore store, TimeProvider clock)
    {
        var caller = context.Caller().EnsureCanWrite();
        var kind = source?.ToLowerInvariant() is { } s && TimesheetFile.Sources.Contains(s)
            ? s
            : throw Refusal.Invalid("source must be toggl, clockify or harvest.");
        var dry = dryRun?.ToLowerInvariant() switch
        {
            null or "" or "false" or "0" => false,
            "true" or "1" => true,
            _ => throw Refusal.Invalid("dry_run must be true or false."),
        };
        var zone = Zones.Parse(tz);
        var fallbackCurrency = currency is null ? "USD" : currency.Trim().ToUpperInvariant();
        if (!Currencies.IsKnown(fallbackCurrency))
        {
            throw Refusal.Invalid("currency must be an ISO 4217 code such as EUR or USD.");
        }

        var text = await ReadBodyAsync(context);
        var file = TimesheetFile.Read(text, kind, zone, clock.UtcNowMs());
        var outcome = await store.ImportAsync(
            new ImportRequest(caller.OrgId, caller.UserId, kind, dry, file.Rows, file.Good, file.Failed, fallbackCurrency), context.RequestAborted);
        var body = new
        {
            import = new
            {
                id = outcome.Id,
                source = kind,
                dry_run = dry,
                rows = outcome.Rows,
                created = outcome.Created,
                duplicates = outcome.Duplicates,
                failed = outcome.Failed.Select(f => new { line = f.Line, code = f.Code, detail = f.Detail }),
                clients_created = outcome.ClientsCreated,
                projects_created = outcome.ProjectsCreated,
            },
        };
        return dry ? Results.Ok(body) : Results.Created($"/api/v1/imports/{outcome.Id}", body);
    }

    /// <summary>The body as UTF-8 text (a byte-order mark dropped), refused past <see cref="MaxBytes"/> (413).</summary>
    private static async Task<string> ReadBodyAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes + 1;
        }

        if (context.Request.ContentLength > MaxBytes)
        {
            throw new BadHttpRequestException($"A file may be at most {MaxBytes / 1024 / 1024} MiB.", StatusCodes.Status413PayloadTooLarge);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBytes)
            {
                throw new BadHttpRequestException($"A file may be at most {MaxBytes / 1024 / 1024} MiB.", StatusCodes.Status413PayloadTooLarge);
            }
        }

        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            return text.TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw Refusal.Invalid("The file must be UTF-8 text (as Toggl, Clockify and Harvest export it).", "import_encoding");
        }
    }
}
