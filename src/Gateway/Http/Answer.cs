namespace Hourdini.Gateway.Http;

/// <summary>
/// What an operation answers, independent of the surface that asked: the HTTP API turns it into
/// 200/201, the MCP server into a tool result. <paramref name="Location"/> is set when something was created.
/// </summary>
public sealed record Answer(object Body, string? Location = null)
{
    public IResult ToHttp() => Location is null ? Results.Ok(Body) : Results.Created(Location, Body);

    public static Answer Created(string location, object body) => new(body, location);
}
