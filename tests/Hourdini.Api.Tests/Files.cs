using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsvHelper;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>Files over the API (R29, R30): CSV posted as the body, exports downloaded, and samples from Samples/.</summary>
public static class Files
{
    public static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", name));

    public static async Task<Reply> ImportAsync(this ApiClient api, string source, string csv, bool dryRun = false, string? tz = null, string? extra = null)
    {
        using var content = new StringContent(csv, new UTF8Encoding(false), "text/csv");
        var query = $"/api/v1/imports?source={source}&dry_run={(dryRun ? "true" : "false")}" + (tz is null ? "" : $"&tz={tz}") + (extra ?? "");
        using var response = await api.Http.PostAsync(query, content);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response.Headers);
    }

    /// <summary>A downloaded export: status, content headers and bytes.</summary>
    public sealed record Download(HttpStatusCode Status, HttpContentHeaders Headers, byte[] Bytes)
    {
        public string Text => Encoding.UTF8.GetString(Bytes);
    }

    public static async Task<Download> ExportAsync(this ApiClient api, string query)
    {
        using var response = await api.Http.GetAsync($"/api/v1/time-entries/export?{query}");
        return new Download(response.StatusCode, response.Content.Headers, await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>A CSV as rows of named fields (the header's names).</summary>
    public static List<Dictionary<string, string>> Rows(string csv)
    {
        using var reader = CsvReader.FromText(csv, new CsvReaderOptions { Separator = ',' });
        var rows = new List<Dictionary<string, string>>();
        var header = reader.Headers.ToArray();
        while (reader.Read())
        {
            rows.Add(header.Select((name, i) => (name, value: reader.GetString(i) ?? "")).ToDictionary(f => f.name, f => f.value));
        }

        return rows;
    }

    /// <summary>Every entry the caller sees (the list, paged through).</summary>
    public static async Task<List<JsonElement>> AllEntriesAsync(this ApiClient api, string query = "")
    {
        var entries = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = (await api.GetAsync($"/api/v1/time-entries?limit=200{query}{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}"))
                .Expect(HttpStatusCode.OK);
            entries.AddRange(page["time_entries"].EnumerateArray());
            cursor = page["next_cursor"].ValueKind == JsonValueKind.String ? page["next_cursor"].GetString() : null;
        }
        while (cursor is not null);
        return entries;
    }
}
