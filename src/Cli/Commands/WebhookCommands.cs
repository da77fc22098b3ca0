using System.CommandLine;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary>
/// <c>hourdini webhook list|add|remove|deliveries</c> (R33, owners): the URLs Hourdini posts chosen events to, each
/// delivery signed with the webhook's secret, which only <c>add</c> shows, once.
/// </summary>
public static class WebhookCommands
{
    /// <summary>The events a webhook can ask for (API.md, "Webhooks"), in the API's order.</summary>
    private static readonly string[] Events = ["session.started", "session.ended", "entry.created", "entry.updated", "invoice.issued", "budget.threshold"];

    /// <summary>The API lists webhooks on one page; this only finds one by the end of its id, as the invoices' list does.</summary>
    private static readonly PagedList Webhooks = new("webhooks", "webhooks");

    /// <summary>For its <c>--limit</c> (1 to 200, default 50: the API's own).</summary>
    private static readonly PagedList Deliveries = new("deliveries", "deliveries");

    public static Command Create(CommonOptions common)
    {
        var command = new Command("webhook", "List, add and remove webhooks and see their deliveries (owners).");
        command.Subcommands.Add(ListCommand(common));
        command.Subcommands.Add(Add(common));
        command.Subcommands.Add(Remove(common));
        command.Subcommands.Add(DeliveriesCommand(common));
        return command;
    }

    private static Command ListCommand(CommonOptions common)
    {
        var list = new Command("list", "List the org's webhooks: id, URL, events, when added and whether deliveries fail.");
        common.Action(list, (_, api, ct) => api.GetAsync("webhooks", ct), body => Output.Table(
            ["Id", new("URL", Flex: true), new("Events", Flex: true), "Added", "Status"],
            body.GetProperty("webhooks").EnumerateArray().Select(w => (IReadOnlyList<Field>)
            [
                Output.Id(w), // its last 8 characters in a table, whole in TSV: either names it to remove and deliveries
                Output.Str(w, "url"),
                EventsOf(w),
                Output.Time(w, "created_at"),
                Status(w),
            ])));
        return list;
    }

    /// <summary><c>hourdini webhook add URL [--event E]…</c>: the answer's secret is printed here and never again.</summary>
    private static Command Add(CommonOptions common)
    {
        var url = new Argument<string>("url") { Description = "Where to post the events, an http(s) URL reachable from the server." };
        url.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && Settings.HttpUrl(token.Value) is null)
            {
                result.AddError($"'{token.Value}' is not an http(s) URL; give one like https://hooks.example.com/hourdini.");
            }
        });
        var events = new Option<string[]>("--event")
        {
            HelpName = "event",
            Description = $"An event to send; repeat it for more (default: all six: {string.Join(", ", Events)}).",
        };
        events.AcceptOnlyFromAmong(Events);
        var add = new Command("add", "Add a webhook (owners); its signing secret is shown once.") { url, events };
        common.Action(add, (parse, api, ct) => api.PostAsync("webhooks", new
        {
            url = parse.GetValue(url)!.Trim(),
            events = parse.GetValue(events) is { Length: > 0 } chosen ? chosen : Events,
        }, ct), body =>
        {
            var webhook = body.GetProperty("webhook");
            var secret = Output.Str(body, "secret");
            if (Output.Format == OutputFormat.Table)
            {
                Output.Line($"Added webhook {Output.Str(webhook, "id")} for {Output.Str(webhook, "url")} ({EventsOf(webhook).Text}).");
                Output.Line($"Signing secret: {secret}");
            }
            else
            {
                Output.Table(["Id", "Secret"], [[Output.Str(webhook, "id"), secret]]);
            }

            Output.Note("The secret is shown only once: store it now. It signs every delivery (the Hourdini-Signature header).");
        });
        return add;
    }

    private static Command Remove(CommonOptions common)
    {
        var id = new Argument<string>("webhook") { Description = "The webhook's id, whole or as hourdini webhook list shows it." };
        var remove = new Command("remove", "Remove a webhook: nothing more is sent to it.") { id };
        common.Action(
            remove,
            async (parse, api, ct) =>
            {
                var webhook = await ResolveAsync(api, parse.GetValue(id)!, ct);
                await api.DeleteAsync($"webhooks/{webhook}", ct);
                return JsonSerializer.SerializeToElement(new { removed = Uri.UnescapeDataString(webhook) });
            },
            body => Output.Line($"Webhook {Output.Str(body, "removed")} removed; nothing more is sent to it."));
        return remove;
    }

    /// <summary><c>hourdini webhook deliveries ID</c>: the newest first, with what went wrong for those not delivered.</summary>
    private static Command DeliveriesCommand(CommonOptions common)
    {
        var id = new Argument<string>("webhook") { Description = "The webhook's id, whole or as hourdini webhook list shows it." };
        Deliveries.Limit.Description = "How many of the newest (1 to 200; default 50).";
        var command = new Command("deliveries", "List a webhook's recent deliveries, newest first: event, status, attempts, last status code and time.") { id, Deliveries.Limit };
        common.Action(
            command,
            async (parse, api, ct) => await api.GetAsync(
                $"webhooks/{await ResolveAsync(api, parse.GetValue(id)!, ct)}/deliveries" + CommonOptions.Query(("limit", parse.GetValue(Deliveries.Limit)?.ToString(System.Globalization.CultureInfo.InvariantCulture))), ct),
            body => Output.Table(
                ["Event", "Status", new("Attempts", Right: true), new("Code", Right: true), "Time", new("Error", Flex: true), new("Id", TsvOnly: true)],
                body.GetProperty("deliveries").EnumerateArray().Select(d => (IReadOnlyList<Field>)
                [
                    Output.Str(d, "event"),
                    Output.Str(d, "status"),
                    Output.Str(d, "attempts"),
                    Output.Str(d, "last_status_code"),
                    Output.Time(d, "created_at"),
                    Output.Str(d, "last_error"),
                    Output.Str(d, "id"),
                ])));
        return command;
    }

    /// <summary>The events a webhook gets: "all" in a table when it has every one; each, comma-separated, for scripts.</summary>
    private static Field EventsOf(JsonElement webhook)
    {
        var events = webhook.GetProperty("events").EnumerateArray().Select(e => e.GetString()!).ToList();
        var plain = string.Join(',', events);
        return new Field(Events.All(events.Contains) ? "all" : string.Join(", ", events), plain);
    }

    /// <summary>"ok", "N failed" (attempts in a row) or "paused" until the time the dispatcher tries again.</summary>
    private static Field Status(JsonElement webhook)
    {
        if (Output.Time(webhook, "paused_until") is { Plain.Length: > 0 } paused)
        {
            return new Field($"paused until {paused.Text[^5..]}", $"paused until {paused.Plain}");
        }

        return Output.Str(webhook, "failing_attempts") is { Length: > 0 } failing and not "0" ? $"{failing} failed" : "ok";
    }

    /// <summary>A webhook's whole id, escaped for a path, from the whole id or its last characters as the list shows them.</summary>
    private static async Task<string> ResolveAsync(HourdiniApi api, string given, CancellationToken ct) =>
        Uri.EscapeDataString(await Webhooks.ResolveAsync(api, "webhooks", given, ct));
}
