using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary>
/// <c>hourdini invoice draft|issue|pdf|list|void|delete</c> (R31): draft an invoice from a client's billable time in a
/// period, issue it (it takes the org's next number and locks its entries), save its PDF, list the invoices the caller
/// sees, void an issued one (its number stays, its entries unlock) and delete a draft (e.g. to draft it again after
/// <c>invoice_outdated</c>).
/// </summary>
public static class InvoiceCommands
{
    private static readonly PagedList List = new("invoices", "invoices");

    public static Command Create(CommonOptions common)
    {
        var command = new Command("invoice", "Draft, issue, list, download, void and delete invoices.");
        command.Subcommands.Add(Draft(common));
        command.Subcommands.Add(Issue(common));
        command.Subcommands.Add(Pdf(common));
        command.Subcommands.Add(ListCommand(common));
        command.Subcommands.Add(Void(common));
        command.Subcommands.Add(Delete(common));
        return command;
    }

    private static Command Draft(CommonOptions common)
    {
        var client = new Option<string>("--client") { Description = "The client, by name or id.", Required = true };
        var from = new Option<string>("--from") { Description = "The first day, e.g. 2026-11-01.", Required = true };
        var to = new Option<string>("--to") { Description = "The last day, included, e.g. 2026-11-30.", Required = true };
        var tax = new Option<decimal?>("--tax")
        {
            Description = "Tax percentage, e.g. 19.",
            CustomParser = result =>
            {
                if (decimal.TryParse(result.Tokens[0].Value.TrimEnd('%', ' '), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent))
                {
                    return percent;
                }

                result.AddError("--tax must be a percentage like 19 or 7.5.");
                return null;
            },
        };
        var notes = new Option<string?>("--notes") { Description = "A note printed on the invoice." };
        var draft = new Command("draft", "Draft an invoice from a client's billable, uninvoiced time in a period (days in UTC).") { client, from, to, tax, notes };
        common.Action(draft, async (parse, api, ct) => await api.PostAsync("invoices", new
        {
            client_id = await ClientIdAsync(api, parse.GetValue(client)!, ct),
            from = parse.GetValue(from),
            to = parse.GetValue(to),
            tax_percent = parse.GetValue(tax),
            notes = parse.GetValue(notes),
        }, ct), body => Show(body.GetProperty("invoice")));
        return draft;
    }

    private static Command Issue(CommonOptions common)
    {
        var id = new Argument<string>("invoice") { Description = "The draft's id, whole or as the list shows it (hourdini invoice draft prints it)." };
        var issue = new Command("issue", "Issue a draft: it takes the next number and its entries can no longer change.") { id };
        common.Action(issue, async (parse, api, ct) => await api.PostAsync($"invoices/{await ResolveAsync(api, parse.GetValue(id)!, ct)}/issue", null, ct),
            body => Show(body.GetProperty("invoice")));
        return issue;
    }

    private static Command Pdf(CommonOptions common)
    {
        var id = new Argument<string>("invoice") { Description = "The invoice's id, whole or as the list shows it." };
        var output = new Option<string?>("--output", "-o") { Description = "Where to save it (default: NUMBER.pdf here)." };
        var pdf = new Command("pdf", "Save an issued invoice's PDF.") { id, output };
        pdf.SetAction(async (parse, ct) => await CommonOptions.RunAsync(async () =>
        {
            using var api = new HourdiniApi(Settings.ResolveUrl(parse.GetValue(common.Url)), Settings.ResolveToken());
            var invoiceId = await ResolveAsync(api, parse.GetValue(id)!, ct);
            var invoice = (await api.GetAsync($"invoices/{invoiceId}", ct)).GetProperty("invoice");
            var bytes = await api.GetBytesAsync($"invoices/{invoiceId}/pdf", ct);
            var path = parse.GetValue(output) ?? $"{Output.Str(invoice, "number")}.pdf";
            try
            {
                await File.WriteAllBytesAsync(path, bytes, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CliException.LocalFile(e, path, $"save {Output.Str(invoice, "number")} to");
            }
            Output.Line($"Saved {Output.Str(invoice, "number")} to {path} ({bytes.Length:N0} bytes).");
        }));
        return pdf;
    }

    /// <summary>
    /// <c>hourdini invoice list</c>: the invoices the caller sees (R31: an Owner the org's, a Member those they drafted, a
    /// Viewer those of their granted clients), newest first, a page at a time; the whole id is for scripts (TSV, JSON).
    /// </summary>
    private static Command ListCommand(CommonOptions common)
    {
        var status = new Option<string?>("--status") { Description = "Only draft, issued or void invoices." };
        status.AcceptOnlyFromAmong("draft", "issued", "void");
        var list = new Command("list", "List invoices, newest first: number (or draft), client, period, total and status.") { status };
        foreach (var option in List.Options)
        {
            list.Options.Add(option);
        }

        common.Action(list, (parse, api, ct) => List.GetAsync(parse, api, "invoices", [("status", parse.GetValue(status))], ct), body =>
        {
            Output.Table(
                ["Number", new("Client", Flex: true), "Period", new("Total", Right: true), "Status", "Id"],
                body.GetProperty("invoices").EnumerateArray().Select(i => (IReadOnlyList<Field>)
                [
                    Output.Str(i, "status") == "draft" ? "draft" : Output.Str(i, "number"),
                    Output.Str(i, "client_name"),
                    $"{Output.Str(i.GetProperty("period"), "from")} to {Output.Str(i.GetProperty("period"), "to")}",
                    $"{Output.Str(i, "total")} {Output.Str(i, "currency")}",
                    Output.Str(i, "status"),
                    Output.Id(i), // its last 8 characters in a table, whole in TSV: either names it to issue, pdf, void and delete
                ]));
            List.Hint(body);
        });
        return list;
    }

    /// <summary>
    /// <c>hourdini invoice void ID</c>: an issued invoice is void; its number stays (never reused) and its entries can be
    /// changed and invoiced again. The server refuses a draft (<c>invoice_not_issued</c>: delete it) and a void one.
    /// </summary>
    private static Command Void(CommonOptions common)
    {
        var id = new Argument<string>("invoice") { Description = "The issued invoice's id, whole or as hourdini invoice list shows it." };
        var command = new Command("void", "Void an issued invoice: its number stays, its entries can be changed and invoiced again.") { id };
        common.Action(command, async (parse, api, ct) => await api.PostAsync($"invoices/{await ResolveAsync(api, parse.GetValue(id)!, ct)}/void", null, ct), body =>
        {
            var invoice = body.GetProperty("invoice");
            Output.Line($"Voided {Output.Str(invoice, "number")} ({Output.Str(invoice, "client_name")}, {Output.Str(invoice, "total")} {Output.Str(invoice, "currency")}); " +
                "its number stays and its entries are unlocked.");
        });
        return command;
    }

    /// <summary>
    /// <c>hourdini invoice delete ID</c>: a draft is deleted (it numbers nothing), e.g. to draft again after
    /// <c>invoice_outdated</c>. The server refuses an issued invoice (<c>invoice_issued</c>: void it) and a void one.
    /// </summary>
    private static Command Delete(CommonOptions common)
    {
        var id = new Argument<string>("invoice") { Description = "The draft's id, whole or as hourdini invoice list --status draft shows it." };
        var command = new Command("delete", "Delete a draft (an issued invoice cannot be deleted; void it).") { id };
        common.Action(
            command,
            async (parse, api, ct) =>
            {
                var invoice = await ResolveAsync(api, parse.GetValue(id)!, ct);
                await api.DeleteAsync($"invoices/{invoice}", ct);
                return JsonSerializer.SerializeToElement(new { deleted = Uri.UnescapeDataString(invoice) });
            },
            body => Output.Line($"Draft {Output.Str(body, "deleted")} deleted; its entries can be drafted again."));
        return command;
    }

    /// <summary>An invoice's whole id, escaped for a path, from the whole id or its last characters as the list shows them.</summary>
    private static async Task<string> ResolveAsync(HourdiniApi api, string given, CancellationToken ct) =>
        Uri.EscapeDataString(await List.ResolveAsync(api, "invoices", given, ct));

    /// <summary>A client id as given, or the id of the one client whose name matches (case-insensitive).</summary>
    private static async Task<string> ClientIdAsync(HourdiniApi api, string client, CancellationToken ct)
    {
        if (Guid.TryParse(client, out _))
        {
            return client;
        }

        var clients = (await api.GetAsync("clients", ct)).GetProperty("clients").EnumerateArray()
            .Where(c => string.Equals(Output.Str(c, "name").Trim(), client.Trim(), StringComparison.OrdinalIgnoreCase)).ToList();
        return clients.Count switch
        {
            1 => Output.Str(clients[0], "id"),
            0 => throw new CliException($"No client is called \"{client}\".", "not_found"),
            _ => throw new CliException($"Several clients are called \"{client}\"; give its id.", "ambiguous"),
        };
    }

    public static void Show(JsonElement invoice)
    {
        var currency = Output.Str(invoice, "currency");
        var status = Output.Str(invoice, "status");
        var period = invoice.GetProperty("period");
        Output.Note($"{(status == "draft" ? "Draft" : Output.Str(invoice, "number"))} · {Output.Str(invoice, "client_name")} · " +
            $"{Output.Str(period, "from")} to {Output.Str(period, "to")} · {status} · id {Output.Str(invoice, "id")}");
        var rows = invoice.GetProperty("lines").EnumerateArray().Select(l => new[]
        {
            Output.Str(l, "project_name"),
            Output.Str(l, "kind") == "agent_run" ? "Agent run" : "Hands-on",
            Output.Duration(l, "seconds"),
            $"{Output.Str(l, "rate")}/h",
            Output.Str(l, "amount"),
        }).ToList();
        rows.Add(["Subtotal", "", Output.Duration(invoice, "seconds"), "", Output.Str(invoice, "subtotal")]);
        var tax = invoice.GetProperty("tax_percent");
        rows.Add([tax.ValueKind == JsonValueKind.Number ? $"Tax {tax.GetDecimal().ToString("0.##", CultureInfo.InvariantCulture)} %" : "Tax", "", "", "", Output.Str(invoice, "tax")]);
        rows.Add([$"Total {currency}", "", "", "", Output.Str(invoice, "total")]);
        Output.Table([new("Project", Flex: true), "Kind", new("Hours", Right: true), new("Rate", Right: true), new($"Amount {currency}", Right: true)], rows);
        if (status == "draft")
        {
            Output.Note($"Issue it with: hourdini invoice issue {Output.Str(invoice, "id")}");
        }
    }
}
