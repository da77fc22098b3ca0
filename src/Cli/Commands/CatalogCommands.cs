using System.CommandLine;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary><c>hourdini projects</c> and <c>hourdini clients</c>: what work can be tracked on, by name.</summary>
public static class CatalogCommands
{
    public static Command Projects(CommonOptions common)
    {
        var query = new Argument<string?>("name") { Description = "Only projects whose name contains this.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("projects", "List the org's projects with their client and rates.") { query };
        common.Action(
            command,
            async (parse, api, ct) =>
            {
                // The projects' answer names clients by id; the table shows their names.
                var projects = await api.GetAsync("projects" + CommonOptions.Query(("q", parse.GetValue(query))), ct);
                var clients = await api.GetAsync("clients", ct);
                return JsonSerializer.SerializeToElement(new { projects = projects.GetProperty("projects"), clients = clients.GetProperty("clients") });
            },
            body => Output.Table(
                ["Project", "Client", "Rate", "Agents billed", "Id"],
                body.GetProperty("projects").EnumerateArray().Select(p => new[]
                {
                    Output.Str(p, "name") + (p.TryGetProperty("archived", out var archived) && archived.GetBoolean() ? " (archived)" : ""),
                    body.GetProperty("clients").EnumerateArray().FirstOrDefault(c => Output.Str(c, "id") == Output.Str(p, "client_id")) is { ValueKind: JsonValueKind.Object } client
                        ? Output.Str(client, "name")
                        : "",
                    p.TryGetProperty("effective_rate", out var rate) ? $"{rate}/h {Output.Str(p, "currency")}" : "",
                    p.GetProperty("bill_agent_time").GetBoolean() ? "yes" : "no",
                    Output.Str(p, "id"),
                })));
        return command;
    }

    public static Command Clients(CommonOptions common)
    {
        var command = new Command("clients", "List the org's clients with their currency and default rate.");
        common.Action(
            command,
            (_, api, ct) => api.GetAsync("clients", ct),
            body => Output.Table(
                ["Client", "Currency", "Default rate", "Id"],
                body.GetProperty("clients").EnumerateArray().Select(c => new[]
                {
                    Output.Str(c, "name") + (c.TryGetProperty("archived", out var archived) && archived.ValueKind == JsonValueKind.True ? " (archived)" : ""),
                    Output.Str(c, "currency"),
                    c.GetProperty("default_rate").ToString(),
                    Output.Str(c, "id"),
                })));
        return command;
    }
}
