using System.Net;
using Hourdini.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// R33 in the web app: an owner adds a webhook for chosen events and copies its secret once, sees each webhook's
/// deliveries with status, attempts and last answer, sees one whose receiver keeps failing paused, and deletes it; at
/// desktop width and at 375 px.
/// </summary>
public sealed class WebhooksPageTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task An_owner_adds_a_webhook_sees_its_deliveries_and_deletes_it_at_desktop_and_phone_width() // R33
    {
        await using var receiver = await StartReceiverAsync();
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var project = await api.CreateProjectAsync(await api.CreateClientAsync("Initech"), "TPS reports");

        await page.GotoAsync("/settings/webhooks");
        await Expect(page.GetByText("No webhooks yet.")).ToBeVisibleAsync();

        // A receiver that answers, for sessions only.
        var receiverUrl = $"http://127.0.0.1:{receiver.Port}/hooks/hourdini";
        await page.GetByLabel("URL").FillAsync(receiverUrl);
        foreach (var name in new[] { "entry.created", "entry.updated", "invoice.issued", "budget.threshold" })
        {
            await page.GetByLabel(name).UncheckAsync();
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();
        await Expect(page.Locator("[data-secret]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^whsec_[0-9a-f]{64}$"));
        var hook = page.GetByRole(AriaRole.Region, new() { Name = $"Webhook {receiverUrl}" });
        await Expect(hook).ToContainTextAsync("session.started, session.ended");

        // One nobody listens on: its deliveries stay pending, with the reason, and after two failures it is paused.
        var deadUrl = $"http://127.0.0.1:{FreePort()}/a/rather/long/path/that/must/wrap/on/a/phone/screen";
        await page.GetByLabel("URL").FillAsync(deadUrl);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();
        var dead = page.GetByRole(AriaRole.Region, new() { Name = $"Webhook {deadUrl}" });
        await Expect(dead).ToBeVisibleAsync();

        var session = (await api.StartSessionAsync(project, "Cover sheets")).Str("id");
        (await api.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);

        await EventuallyAsync(async () =>
        {
            await page.ReloadAsync();
            return await hook.Locator(".badge.delivery-delivered").CountAsync() == 2
                && await dead.Locator(".badge.delivery-pending").CountAsync() >= 2
                && await dead.Locator("td[data-label='Attempts']").First.TextContentAsync() != "0"
                && await dead.GetByRole(AriaRole.Status).Filter(new() { HasText = "Paused until" }).CountAsync() == 1;
        });
        await Expect(hook.GetByRole(AriaRole.Status)).ToHaveCountAsync(0); // the answering one is not
        await Expect(hook.Locator("tbody tr").First).ToContainTextAsync("200");
        await Expect(dead.Locator("tbody tr").First).ToContainTextAsync("next try");
        await Screenshots.SaveAsync(page, "webhooks-desktop");

        await page.SetViewportSizeAsync(375, 812);
        await page.ReloadAsync();
        var width = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(width <= 375, $"the page is {width} px wide at 375 px");
        await Expect(dead.Locator("td[data-label='Status']").First).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "webhooks-phone");
        await dead.ScrollIntoViewIfNeededAsync();
        await Screenshots.SaveAsync(page, "webhooks-phone-deliveries");

        await dead.GetByRole(AriaRole.Button, new() { Name = $"Delete the webhook to {deadUrl}" }).ClickAsync();
        await Expect(dead).ToHaveCountAsync(0);
        await Expect(hook).ToBeVisibleAsync();
        Assert.Empty(errors);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(WebApplication App, int Port)> StartReceiverCoreAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/hooks/hourdini", () => Results.Ok());
        await app.StartAsync();
        return (app, new Uri(app.Urls.First()).Port);
    }

    private static async Task<Receiver> StartReceiverAsync()
    {
        var (app, port) = await StartReceiverCoreAsync();
        return new Receiver(app, port);
    }

    private sealed record Receiver(WebApplication App, int Port) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 20 s.");
            await Task.Delay(250);
        }
    }
}
