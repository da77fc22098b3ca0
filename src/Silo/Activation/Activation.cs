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
internal sealed class Activation(GrainRuntime runtime, GrainId id, bool minted = false)
{
    private readonly Queue<WorkItem> _mailbox = new();
    private readonly Lock _gate = new();
    private bool _dropped;
    private bool _running;
    private PendingCommit? _committing;
    private PendingCommit? _next;
    private int _pending;
    private object? _grain;
    private bool _deactivateOnIdle;

    // Root transactions this activation staged writes or checks in that have not committed or failed yet.
    private int _unsettled;

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

    /// <summary>
    /// The grain asked to go once idle (<see cref="Grains.Hosting.IGrainContext.DeactivateOnIdle"/>). It goes when nothing is
    /// queued and no transaction it took part in is still committing: until then its memory may be ahead of storage.
    /// </summary>
    public void DeactivateOnIdle()
    {
        lock (_gate)
        {
            _deactivateOnIdle = true;
        }
    }

    /// <summary>A root turn's transaction took in a write or check of this activation's state.</summary>
    public void Enlisted() => Interlocked.Increment(ref _unsettled);

    /// <summary>A transaction this activation took part in committed or failed.</summary>
    public void Settled()
    {
        if (Interlocked.Decrement(ref _unsettled) == 0)
        {
            TryDeactivate();
        }
    }

    private void TryDeactivate()
    {
        lock (_gate)
        {
            // No call is queued or running (so none can enlist it), and nothing it staged is still on its way.
            if (!_deactivateOnIdle || _pending > 0 || _dropped || Volatile.Read(ref _unsettled) > 0)
            {
                return;
            }

            _dropped = true;
        }

        runtime.Deactivated(this);
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
        bool idle;
        lock (_gate)
        {
            _pending--;
            LastUsed = runtime.Clock.GetUtcNow();
            idle = _pending == 0 && _deactivateOnIdle;
        }

        if (idle)
        {
            TryDeactivate();
        }
    }

    /// <summary>
    /// Runs one call. A nested call (from another grain's turn) answers at once: its caller commits. A root turn's
    /// answer waits until everything it saw is committed, its own writes and those of earlier turns still on
    /// their way; meanwhile the next turn already runs (pipelining, issue 6), so a grain is not idle while
    /// PostgreSQL flushes. Turns that finish while a commit is in flight commit together, in order, next.
    /// </summary>
    private async Task RunTurnAsync(WorkItem item)
    {
        var root = item.Caller is null;
        var turn = item.Caller ?? new TurnTransaction();
        TurnTransaction.Current = turn;
        object? result = null;
        Exception? failure = null;
        try
        {
            if (_grain is null)
            {
                _grain = await runtime.CreateGrainAsync(Id, this, read: !minted);
            }

            result = await item.InvokeAsync(_grain);

            // What this turn decided rests on the states it read: the commit checks they are still current. Only when
            // the root turn ends: a state a nested call read (the session a log looks at first) is often written by a
            // later call of the same turn, and that write's own version condition is then the check.
            if (root)
            {
                foreach (var state in turn.Read)
                {
                    state.StageCheck(turn);
                }
            }
        }
        catch (Exception error)
        {
            failure = error;
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

                turn.Settle();
            }
        }
        finally
        {
            TurnTransaction.Current = null;
        }

        PendingCommit? start = null;
        var answerNow = !root;
        var orphaned = false;
        lock (_gate)
        {
            if (root && _dropped && failure is null)
            {
                // An earlier commit failed while this turn ran: what it saw is gone; it runs again on a fresh activation.
                failure = new ActivationDroppedException();
                answerNow = true;
                orphaned = true;
            }
            else if (root && _committing is null && (turn.Writes.Count == 0 || failure is not null))
            {
                answerNow = true;
                if (failure is null)
                {
                    turn.Settle();
                }
            }
            else if (root)
            {
                var pending = _committing is null ? start = _committing = new PendingCommit() : _next ??= new PendingCommit();
                pending.Add(item, result, failure, failure is null ? turn : null);
            }
        }

        if (orphaned)
        {
            foreach (var enlisted in turn.Enlisted)
            {
                runtime.Drop(enlisted);
            }

            turn.Settle();
        }

        if (answerNow)
        {
            TurnDone();
            Answer(item, result, failure);
        }

        if (start is not null)
        {
            _ = CommitAsync(start);
        }
    }

    private async Task CommitAsync(PendingCommit pending)
    {
        while (true)
        {
            Exception? error = null;
            try
            {
                if (pending.Writes.Count > 0)
                {
                    await runtime.Backend.CommitAsync(pending.Writes, CancellationToken.None);
                    runtime.Committed(Id);
                }
            }
            catch (Exception failed)
            {
                error = failed;
                runtime.Drop(this);
                foreach (var enlisted in pending.Enlisted)
                {
                    runtime.Drop(enlisted);
                }
            }

            PendingCommit? next;
            lock (_gate)
            {
                next = _next;
                _next = null;
                _committing = error is null ? next : null;
            }

            pending.Settle();

            foreach (var (item, result, refusal) in pending.Answers)
            {
                TurnDone();
                Answer(item, error is null ? result : null, error ?? refusal);
            }

            if (next is null)
            {
                return;
            }

            if (error is not null)
            {
                // Built on writes that did not commit: each runs again on a fresh activation, and so does every grain
                // these turns changed in memory (issue 7: a session left ahead of the database answered a retry
                // as if it had already happened).
                foreach (var enlisted in next.Enlisted)
                {
                    runtime.Drop(enlisted);
                }

                next.Settle();
                foreach (var (item, _, _) in next.Answers)
                {
                    TurnDone();
                    item.Fail(new ActivationDroppedException());
                }

                return;
            }

            pending = next;
        }
    }

    private static void Answer(WorkItem item, object? result, Exception? failure)
    {
        if (failure is null)
        {
            item.Succeed(result);
        }
        else
        {
            item.Fail(failure);
        }
    }

    /// <summary>Root turns waiting for one commit: their writes in turn order, and what each will answer.</summary>
    private sealed class PendingCommit
    {
        public List<IStagedWrite> Writes { get; } = [];

        public HashSet<Activation> Enlisted { get; } = [];

        public List<(WorkItem Item, object? Result, Exception? Refusal)> Answers { get; } = [];

        private readonly List<TurnTransaction> _turns = [];

        public void Add(WorkItem item, object? result, Exception? refusal, TurnTransaction? turn)
        {
            if (turn is not null)
            {
                Writes.AddRange(turn.Writes);
                Enlisted.UnionWith(turn.Enlisted);
                _turns.Add(turn);
            }

            Answers.Add((item, result, refusal));
        }

        /// <summary>The commit is over, either way: each turn's grains stop waiting on it.</summary>
        public void Settle()
        {
            foreach (var turn in _turns)
            {
                turn.Settle();
            }
        }
    }
}
