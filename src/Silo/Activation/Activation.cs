namespace Hourdini.Silo.Activation;

public readonly record struct GrainId(Type Interface, string Key)
{
    public override string ToString() => $"{Interface.Name}/{Key}";
}

internal sealed class WorkItem(Func<object, Task<object?>> invoke, TurnTransaction? caller)
{
    private readonly TaskCompletionSource<object?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TurnTransaction? Caller { get; } = caller;

    public Task<object?> Completion => _done.Task;

    public Task<object?> InvokeAsync(object grain) => invoke(grain);

    public void Succeed(object? result) => _done.TrySetResult(result);

    public void Fail(Exception error) => _done.TrySetException(error);
}

/// <summary>
/// One live instance of a grain. Calls queue in a FIFO mailbox and run one at a time to completion,
/// awaits included (turn-based, no reentrancy). A call that arrives from another grain's turn joins that
/// turn's transaction; a call from outside is a root turn and commits its transaction before it answers.
/// An idle activation holds no task or waiter, only its grain and a small queue (issue 6: activations stay small).
/// </summary>
internal sealed class Activation(GrainRuntime runtime, GrainId id)
{
    private readonly Queue<WorkItem> _mailbox = new();
    private readonly Lock _gate = new();
    private bool _dropped;
    private bool _running;
    private int _pending;
    private object? _grain;

    public GrainId Id { get; } = id;

    public DateTimeOffset LastUsed { get; private set; } = runtime.Clock.GetUtcNow();

    public bool TryEnqueue(WorkItem item)
    {
        bool start;
        lock (_gate)
        {
            if (_dropped)
            {
                return false;
            }

            _pending++;
            _mailbox.Enqueue(item);
            start = !_running;
            _running = true;
        }

        if (start)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static activation => _ = activation.RunAsync(), this, preferLocal: false);
        }

        return true;
    }

    /// <summary>Marks the activation dead; calls still queued fail over to a fresh activation.</summary>
    public void Drop()
    {
        lock (_gate)
        {
            _dropped = true;
        }
    }

    /// <summary>Drops the activation if it has had nothing to do since <paramref name="cutoff"/>.</summary>
    public bool TryCollect(DateTimeOffset cutoff)
    {
        lock (_gate)
        {
            if (_pending > 0 || LastUsed > cutoff || _dropped)
            {
                return false;
            }

            _dropped = true;
            return true;
        }
    }

    /// <summary>Runs queued calls one at a time until the queue is empty, then lets the next call start it again.</summary>
    private async Task RunAsync()
    {
        while (true)
        {
            WorkItem item;
            lock (_gate)
            {
                if (!_mailbox.TryDequeue(out item!))
                {
                    _running = false;
                    return;
                }
            }

            if (Volatile.Read(ref _dropped))
            {
                TurnDone();
                item.Fail(new ActivationDroppedException());
            }
            else
            {
                await RunTurnAsync(item);
            }
        }
    }

    /// <summary>Bookkeeping happens before the caller is answered, so an answered call is never "in flight".</summary>
    private void TurnDone()
    {
        lock (_gate)
        {
            _pending--;
            LastUsed = runtime.Clock.GetUtcNow();
        }
    }

    private async Task RunTurnAsync(WorkItem item)
    {
        var root = item.Caller is null;
        var turn = item.Caller ?? new TurnTransaction();
        TurnTransaction.Current = turn;
        try
        {
            _grain ??= await runtime.CreateGrainAsync(Id, this);
            var result = await item.InvokeAsync(_grain);
            if (root && turn.Writes.Count > 0)
            {
                await runtime.Backend.CommitAsync(turn.Writes, CancellationToken.None);
                runtime.Committed(Id);
            }

            TurnDone();
            item.Succeed(result);
        }
        catch (Exception error)
        {
            if (_grain is null)
            {
                runtime.Drop(this);
            }

            if (root)
            {
                foreach (var enlisted in turn.Enlisted)
                {
                    runtime.Drop(enlisted);
                }
            }

            TurnDone();
            item.Fail(error);
        }
        finally
        {
            TurnTransaction.Current = null;
        }
    }
}
