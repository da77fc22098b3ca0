namespace Hourdini.Silo.Webhooks;

/// <summary>R33's settings, <c>Hourdini:Webhooks:*</c>. The defaults are production's; tests shorten the schedule.</summary>
public sealed class WebhookOptions
{
    /// <summary>Loopback receivers (127.0.0.0/8, ::1) are allowed: development and tests only. Private ranges never are.</summary>
    public bool AllowLoopback { get; set; }

    /// <summary>Whether this node sends deliveries. Every node does by default; they share the work through the outbox.</summary>
    public bool Dispatch { get; set; } = true;

    /// <summary>How often an idle dispatcher looks for due deliveries.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most deliveries one claim takes.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>How many sends this node keeps going at once; a receiver that does not answer holds one of them.</summary>
    public int MaxInFlight { get; set; } = 64;

    /// <summary>How many of those one webhook may hold: a burst to a receiver that hangs leaves the rest to other webhooks.</summary>
    public int PerWebhookInFlight { get; set; } = 8;

    /// <summary>A claimed delivery is another node's to take after this long: the claiming node died while sending it.</summary>
    public TimeSpan ClaimFor { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>API.md: a 2xx answer within 10 s is delivered.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait after the first failed attempt; it doubles with each attempt, up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// After this many failed attempts in a row to one webhook, its pending deliveries wait out a pause that doubles
    /// with each pause (<see cref="FirstBackoff"/> up to <see cref="MaxBackoff"/>); a delivered attempt ends it.
    /// </summary>
    public int PauseAfter { get; set; } = 10;

    /// <summary>R33: how long after its event a delivery is retried before it is marked failed.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How many endpoints one org may register.</summary>
    public int MaxPerOrg { get; set; } = 20;

    /// <summary>
    /// Refuses, at start, the sizes the dispatcher cannot work with: a share or batch of none would leave the outbox
    /// unsent, or claiming and giving back the same rows without a pause; a pause after no failure would pause every
    /// webhook at its first outcome.
    /// </summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(BatchSize), BatchSize), (nameof(MaxInFlight), MaxInFlight), (nameof(PerWebhookInFlight), PerWebhookInFlight), (nameof(PauseAfter), PauseAfter) })
        {
            if (value < 1)
            {
                throw new InvalidOperationException($"Hourdini:Webhooks:{name} must be at least 1; it is {value}.");
            }
        }
    }
}
