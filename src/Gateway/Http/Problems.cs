using System.Text.Json;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Orleans.Runtime;
using Orleans.Storage;

namespace Hourdini.Gateway.Http;

/// <summary>The one place where refusals and failures become RFC 9457 problem details with a stable code.</summary>
public static class Problems
{
    public static void UseHourdiniProblems(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context => WriteAsync(context, context.Features.Get<IExceptionHandlerFeature>()?.Error),
            // A refusal is an answer, not a server fault: the exception handler must not log it as an error. Nor is a lost
            // version check (409 concurrent_change): the client is told to retry (issue 24, item 8).
            SuppressDiagnosticsCallback = ctx => ctx.Exception is Refusal or BadHttpRequestException or InconsistentStateException,
        });
        app.UseStatusCodePages(context => WriteEmptyStatusAsync(context.HttpContext));
    }

    public static Task WriteAsync(HttpContext context, Exception? error)
    {
        var (status, code, title, detail) = Describe(error);
        if (error is Refusal { RetryAfterSeconds: { } retryAfter })
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Write(context, status, code, title, detail, (error as Refusal)?.Field);
    }

    public static (int Status, string Code, string Title, string Detail) Describe(Exception? error) => error switch
    {
        Refusal refusal => refusal.Kind switch
        {
            RefusalKind.Invalid => (422, refusal.Code, "Invalid request", refusal.Message),
            RefusalKind.Unauthorized => (401, refusal.Code, "Unauthorized", refusal.Message),
            RefusalKind.NotFound => (404, refusal.Code, "Not found", refusal.Message),
            RefusalKind.Forbidden => (403, refusal.Code, "Forbidden", refusal.Message),
            RefusalKind.TooManyAttempts => (429, refusal.Code, "Too many requests", refusal.Message),
            _ => (409, refusal.Code, "Conflict", refusal.Message),
        },
        BadHttpRequestException { StatusCode: 413 } => (413, "payload_too_large", "Payload too large", "The request body is too large."),
        BadHttpRequestException bad => (400, "malformed_request", "Malformed request", Explain(bad)),
        StorageUnavailableException or OrleansException { InnerException: StorageUnavailableException } =>
            (503, "storage_unavailable", "Service unavailable", "The database is unavailable; retry shortly."),
        InconsistentStateException => (409, "concurrent_change", "Conflict", "Another change to the same data won; retry the request."),

        // A silo died or did not answer in time (Hourdini:Orleans:ResponseTimeout): the cluster moves its grains to
        // live silos within seconds, so the client should retry.
        SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or ClientNotAvailableException
            or Orleans.Runtime.Messaging.ConnectionFailedException or GatewayTooBusyException =>
            (503, "service_unavailable", "Service unavailable", "A node of the service did not answer; retry shortly."),
        _ => (500, "internal_error", "Internal error", "An unexpected error occurred."),
    };

    private static string Explain(BadHttpRequestException bad) => bad.InnerException switch
    {
        // System.Text.Json names the .NET type it could not fill; an answer names only the JSON path (issue 7: no internals).
        JsonException { Path: { Length: > 1 } path } json when json.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) =>
            $"The value at {path} has the wrong type for this request.",
        JsonException json when json.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) =>
            "The body has the wrong shape for this request: send a JSON object.",
        JsonException json => $"The body is not valid JSON for this request: {json.Message.Split(" Path:")[0]}",
        _ when bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase) => "A JSON request body is required.",
        _ => "The request could not be read.",
    };

    /// <param name="field">The request field the problem is about, when it is about one (an extension member, <c>field</c>).</param>
    public static Task Write(HttpContext context, int status, string code, string title, string detail, string? field = null)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        // Clearing drops what the refusal already said about how to succeed; those headers stay.
        var challenge = context.Response.Headers.WWWAuthenticate;
        var allow = context.Response.Headers.Allow;
        var retryAfter = context.Response.Headers.RetryAfter;
        context.Response.Clear();
        context.Response.Headers.WWWAuthenticate = challenge;
        context.Response.Headers.Allow = allow;
        context.Response.Headers.RetryAfter = retryAfter.Count == 0 && status == 503 ? "2" : retryAfter;

        return Results.Problem(
            detail: detail,
            statusCode: status,
            title: title,
            type: $"https://hourdini.dev/problems/{code}",
            extensions: field is null
                ? new Dictionary<string, object?> { ["code"] = code }
                : new Dictionary<string, object?> { ["code"] = code, ["field"] = field }).ExecuteAsync(context);
    }

    private static Task WriteEmptyStatusAsync(HttpContext context) => context.Response.StatusCode switch
    {
        401 => Write(context, 401, "unauthorized", "Unauthorized", "Send a valid bearer token or sign in."),
        403 => Write(context, 403, "forbidden", "Forbidden", "You are not allowed to do this."),
        404 => Write(context, 404, "not_found", "Not found", "There is nothing at this address."),
        405 => Write(context, 405, "method_not_allowed", "Method not allowed", "This address does not accept this method."),
        413 => Write(context, 413, "payload_too_large", "Payload too large", "The request body is too large."),
        415 => Write(context, 415, "unsupported_media_type", "Unsupported media type", "Send the body as application/json."),
        var other => Write(context, other, "http_" + other, "Error", "The request failed."),
    };
}
