using Hourdini.Gateway.OpenApi;

namespace Hourdini.Gateway.Http;

/// <summary>
/// What an endpoint answers, for the OpenAPI document: its operation id, a one-line summary and its success (the refusals
/// every endpoint shares are added by <see cref="OpenApiSetup"/>). The handlers return <see cref="IResult"/>s through
/// <see cref="Answer"/>, shared with MCP, so the answer's schema is named here.
/// </summary>
public static class EndpointDocs
{
    /// <summary>Answers <typeparamref name="T"/> with <paramref name="status"/> (200, or 201 for a create).</summary>
    public static RouteHandlerBuilder Returns<T>(this RouteHandlerBuilder endpoint, string operationId, string summary, int status = StatusCodes.Status200OK) =>
        endpoint.WithName(operationId).WithSummary(summary).Produces<T>(status);

    /// <summary>Answers 204 with no body.</summary>
    public static RouteHandlerBuilder ReturnsNothing(this RouteHandlerBuilder endpoint, string operationId, string summary) =>
        endpoint.WithName(operationId).WithSummary(summary).Produces(StatusCodes.Status204NoContent);

    /// <summary>Answers a file of <paramref name="contentTypes"/>.</summary>
    public static RouteHandlerBuilder ReturnsFile(this RouteHandlerBuilder endpoint, string operationId, string summary, params string[] contentTypes) =>
        endpoint.WithName(operationId).WithSummary(summary)
            .Produces(StatusCodes.Status200OK, typeof(byte[]), contentTypes[0], contentTypes[1..]);

    /// <summary>Refuses with <paramref name="status"/> where the shared rules would not say so (e.g. 404 with no id in the path).</summary>
    public static RouteHandlerBuilder Refuses(this RouteHandlerBuilder endpoint, int status) => endpoint.WithMetadata(new RefusalMetadata(status));
}
