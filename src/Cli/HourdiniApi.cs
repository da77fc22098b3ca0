using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hourdini.Cli;

/// <summary>The HTTP API as the CLI uses it: JSON in and out, refusals turned into <see cref="CliException"/> with the API's code.</summary>
public sealed class HourdiniApi(Uri baseUrl, string token) : IDisposable
{
    private readonly HttpClient http = new()
    {
        BaseAddress = new Uri(baseUrl, "api/v1/"),
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
    };

    public Task<JsonElement> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<JsonElement> PostAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);

    public Task<JsonElement> PutAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Put, path, body, ct);

    public Task<JsonElement> DeleteAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Delete, path, null, ct);

    public Task<JsonElement> PatchAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Patch, path, body, ct);

    /// <summary>Posts a CSV file as the body (<c>text/csv</c>).</summary>
    public Task<JsonElement> PostCsvAsync(string path, string csv, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, path, new StringContent(csv, new System.Text.UTF8Encoding(false), "text/csv"), ct);

    /// <summary>A file the API answers with (a PDF, an export), whole; a refusal as for JSON.</summary>
    public async Task<byte[]> GetBytesAsync(string path, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(path, ct);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw Unreachable($"no answer within {http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return await response.Content.ReadAsByteArrayAsync(ct);
            }
        }

        await SendAsync(HttpMethod.Get, path, null, ct); // reads the refusal again, as JSON, and throws it
        throw new CliException($"The server refused {path}.");
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body as HttpContent ?? JsonContent.Create(body);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw Unreachable($"no answer within {http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
            if (response.IsSuccessStatusCode)
            {
                return json;
            }

            var code = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("code", out var c) ? c.GetString() : null;
            var detail = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("detail", out var d) ? d.GetString() : null;
            throw new CliException(
                detail ?? ((int)response.StatusCode >= 500 ? $"The server answered {(int)response.StatusCode}; try again in a moment." : $"The server answered {(int)response.StatusCode}."),
                code ?? $"http_{(int)response.StatusCode}",
                (int)response.StatusCode);
        }
    }

    private CliException Unreachable(string why) => new(
        $"Cannot reach Hourdini at {baseUrl} ({why}). Check the address (--url or HOURDINI_URL) and that the server is running.", "server_unreachable");

    public void Dispose() => http.Dispose();
}
