using System.Net;
using Hourdini.Testing;

namespace Hourdini.Mcp.Tests;

/// <summary>R31 from the terminal: <c>hourdini invoice draft --client NAME --from D --to D</c>, <c>issue ID</c>, <c>pdf ID -o FILE</c>, <c>list</c>, <c>void ID</c>, <c>delete ID</c>.</summary>
public sealed class InvoiceCliTests(HourdiniServer server) : IClassFixture<HourdiniServer>, IDisposable
{
    private readonly string config = Directory.CreateTempSubdirectory("hourdini-cli-invoice-").FullName;

    [Fact]
    public async Task An_invoice_is_drafted_by_client_name_issued_and_saved_as_a_pdf()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Vandelay Industries", "EUR", 80m), "Latex");
        (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-10-05T09:00:00Z", duration_seconds = 5400 }))
            .Expect(HttpStatusCode.Created);
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token())).Exit);

        var draft = await Run("invoice", "draft", "--client", "vandelay industries", "--from", "2026-10-01", "--to", "2026-10-31", "--tax", "10");
        Assert.True(draft.Exit == 0, draft.Err);
        Assert.Contains("Latex", draft.Out);
        Assert.Contains("120.00", draft.Out); // 1.5 h at 80
        Assert.Contains("132.00", draft.Out); // with 10 % tax
        var id = (await human.GetAsync("/api/v1/invoices")).Expect(HttpStatusCode.OK)["invoices"][0].Str("id");

        var issue = await Run("--format", "table", "invoice", "issue", id);
        Assert.True(issue.Exit == 0, issue.Err);
        var number = $"INV-{DateTime.UtcNow.Year}-0001";
        Assert.Contains(number, issue.Out);

        var file = Path.Combine(config, "invoice.pdf");
        var pdf = await Run("invoice", "pdf", id, "-o", file);
        Assert.True(pdf.Exit == 0, pdf.Err);
        Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString((await File.ReadAllBytesAsync(file)).AsSpan(0, 5)));

        var unknown = await Run("invoice", "draft", "--client", "Nobody", "--from", "2026-10-01", "--to", "2026-10-31");
        Assert.NotEqual(0, unknown.Exit);
        Assert.Contains("not_found", unknown.Err);
    }

    [Fact]
    public async Task A_pdf_that_cannot_be_saved_is_one_line_naming_the_path_with_exit_5()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await human.CreateClientAsync("Vandelay Industries", "EUR", 80m);
        var project = await human.CreateProjectAsync(client, "Latex");
        (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-10-05T09:00:00Z", duration_seconds = 5400 }))
            .Expect(HttpStatusCode.Created);
        var id = (await human.PostAsync("/api/v1/invoices", new { client_id = client, from = "2026-10-01", to = "2026-10-31" }))
            .Expect(HttpStatusCode.Created)["invoice"].Str("id");
        (await human.PostAsync($"/api/v1/invoices/{id}/issue")).Expect(HttpStatusCode.OK);
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token())).Exit);

        var missing = Path.Combine(config, "no-such-directory");
        foreach (var (output, why) in new[]
        {
            (Path.Combine(missing, "invoice.pdf"), $"the directory {missing} does not exist."),
            (config, "it is a directory; give a file's name."),
        })
        {
            var refused = await Run("invoice", "pdf", id, "-o", output);
            Assert.Equal(5, refused.Exit);
            var line = Assert.Single(refused.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error (local_file): Cannot save INV-{DateTime.UtcNow.Year}-0001 to {output}: ", line);
            Assert.EndsWith(why, line);
            Assert.Empty(refused.Out);
        }
    }

    [Fact]
    public async Task Invoices_are_listed_newest_first_with_number_or_draft_client_period_total_and_status_and_status_filters_them()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await human.CreateClientAsync("Vandelay Industries", "EUR", 80m);
        var project = await human.CreateProjectAsync(client, "Latex");
        foreach (var day in new[] { "2026-10-05", "2026-11-05" })
        {
            (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = $"{day}T09:00:00Z", duration_seconds = 5400 }))
                .Expect(HttpStatusCode.Created);
        }

        var october = await DraftAsync(human, client, "2026-10-01", "2026-10-31");
        (await human.PostAsync($"/api/v1/invoices/{october}/issue")).Expect(HttpStatusCode.OK);
        var november = await DraftAsync(human, client, "2026-11-01", "2026-11-30");
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token())).Exit);

        var number = $"INV-{DateTime.UtcNow.Year}-0001";
        var tsv = await Run("--format", "tsv", "invoice", "list");
        Assert.True(tsv.Exit == 0, tsv.Err);
        Assert.Equal(
            [
                $"draft\tVandelay Industries\t2026-11-01 to 2026-11-30\t120.00 EUR\tdraft\t{november}",
                $"{number}\tVandelay Industries\t2026-10-01 to 2026-10-31\t120.00 EUR\tissued\t{october}",
            ],
            tsv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var drafts = await Run("--format", "tsv", "invoice", "list", "--status", "draft");
        Assert.True(drafts.Exit == 0, drafts.Err);
        Assert.EndsWith($"\t{november}", Assert.Single(drafts.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)));

        var page = await Run("--format", "table", "invoice", "list", "--limit", "1");
        Assert.True(page.Exit == 0, page.Err);
        Assert.Contains("Number", page.Out);
        Assert.DoesNotContain(number, page.Out);
        Assert.DoesNotContain(november, page.Out); // whole ids are for scripts
        Assert.Contains("--cursor ", page.Out);
    }

    [Fact]
    public async Task A_deleted_draft_is_no_longer_listed()
    {
        var (human, _) = await SignedInWithOctoberTimeAsync();
        var draft = await Run("invoice", "draft", "--client", "Vandelay Industries", "--from", "2026-10-01", "--to", "2026-10-31");
        Assert.True(draft.Exit == 0, draft.Err);
        var listed = await Run("--format", "tsv", "invoice", "list");
        Assert.True(listed.Exit == 0, listed.Err);
        var row = Assert.Single(listed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Split('\t');
        Assert.Equal(["draft", "Vandelay Industries", "2026-10-01 to 2026-10-31", "120.00 EUR", "draft"], row[..5]);

        var delete = await Run("invoice", "delete", row[5]);
        Assert.True(delete.Exit == 0, delete.Err);
        Assert.Equal($"Draft {row[5]} deleted; its entries can be drafted again.", delete.Out.Trim());
        var after = await Run("--format", "tsv", "invoice", "list");
        Assert.True(after.Exit == 0, after.Err);
        Assert.Empty(after.Out);
        (await human.GetAsync($"/api/v1/invoices/{row[5]}")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_voided_invoice_is_listed_as_void_and_keeps_its_number()
    {
        var (human, client) = await SignedInWithOctoberTimeAsync();
        var id = await DraftAsync(human, client, "2026-10-01", "2026-10-31");
        var issue = await Run("invoice", "issue", id);
        Assert.True(issue.Exit == 0, issue.Err);
        var number = $"INV-{DateTime.UtcNow.Year}-0001";

        // The table shows the id as the other lists do, its last 8 characters, and that names the invoice to void.
        var table = await Run("--format", "table", "invoice", "list");
        Assert.Contains(id[^8..], table.Out);
        var voided = await Run("invoice", "void", id[^8..]);
        Assert.True(voided.Exit == 0, voided.Err);
        Assert.Equal($"Voided {number} (Vandelay Industries, 120.00 EUR); its number stays and its entries are unlocked.", voided.Out.Trim());
        var listed = await Run("--format", "tsv", "invoice", "list", "--status", "void");
        Assert.True(listed.Exit == 0, listed.Err);
        Assert.Equal($"{number}\tVandelay Industries\t2026-10-01 to 2026-10-31\t120.00 EUR\tvoid\t{id}", listed.Out.Trim());

        var again = await Run("invoice", "void", id);
        Assert.Equal(1, again.Exit);
        Assert.StartsWith($"error (invoice_void): Invoice {number} is void already.", again.Err);
    }

    [Fact]
    public async Task Deleting_an_issued_invoice_is_refused_with_the_servers_code_and_exit_1()
    {
        var (human, client) = await SignedInWithOctoberTimeAsync();
        var id = await DraftAsync(human, client, "2026-10-01", "2026-10-31");
        (await human.PostAsync($"/api/v1/invoices/{id}/issue")).Expect(HttpStatusCode.OK);

        var delete = await Run("invoice", "delete", id);
        Assert.Equal(1, delete.Exit);
        Assert.Equal($"error (invoice_issued): Invoice INV-{DateTime.UtcNow.Year}-0001 is issued and cannot be deleted; void it instead.", delete.Err.Trim());
        Assert.Empty(delete.Out);
        Assert.Equal("issued", (await human.GetAsync($"/api/v1/invoices/{id}")).Expect(HttpStatusCode.OK)["invoice"].Str("status"));
    }

    /// <summary>A new org with Vandelay Industries (EUR, 80/h), 1.5 h on it in October 2026, and the CLI signed in as its owner.</summary>
    private async Task<(ApiClient Human, string Client)> SignedInWithOctoberTimeAsync()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await human.CreateClientAsync("Vandelay Industries", "EUR", 80m);
        var project = await human.CreateProjectAsync(client, "Latex");
        (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-10-05T09:00:00Z", duration_seconds = 5400 }))
            .Expect(HttpStatusCode.Created);
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token())).Exit);
        return (human, client);
    }

    private static async Task<string> DraftAsync(ApiClient human, string client, string from, string to) =>
        (await human.PostAsync("/api/v1/invoices", new { client_id = client, from, to })).Expect(HttpStatusCode.Created)["invoice"].Str("id");

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(config, args);

    public void Dispose() => Directory.Delete(config, recursive: true);
}
