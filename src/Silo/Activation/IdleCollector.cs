using Microsoft.Extensions.Hosting;

namespace Hourdini.Silo.Activation;

/// <summary>Collects idle activations on a period, so memory stays bounded.</summary>
internal sealed class IdleCollector(GrainRuntime runtime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(runtime.Options.CollectionInterval, runtime.Clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            runtime.CollectIdle();
        }
    }
}
