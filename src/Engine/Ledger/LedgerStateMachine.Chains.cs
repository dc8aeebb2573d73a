using System.Diagnostics;

namespace Wallet.Engine.Ledger;

/// <summary>Linked-chain support: an undo log and an event buffer, used only while a chain is open.</summary>
public sealed partial class LedgerStateMachine
{
    /// <summary>
    /// Chain bookkeeping after item <paramref name="i"/> (inside an open chain) got <paramref name="code"/>: a failure
    /// rolls the whole chain back, marks its earlier items LinkedEventFailed and its later ones LinkedEventFailed (or
    /// LinkedEventChainOpen for a chain left open at the batch end) and returns the chain's last index, so the caller
    /// resumes after it; the chain's last item succeeding commits it (its buffered events reach the sink).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private int SettleChain<TItem, TSink>(ReadOnlySpan<TItem> items, int i, ResultCode code, ref int chainStart, Span<CreateResult> results, ref TSink sink)
        where TItem : struct, ILinkable
        where TSink : struct, ILedgerEventSink
    {
        var n = items.Length;
        if (code != ResultCode.Ok)
        {
            RollbackChain();
            for (var j = chainStart; j < i; j++) results[j] = new CreateResult(j, ResultCode.LinkedEventFailed);
            var k = i;
            while (k < n - 1 && items[k].IsLinked)
            {
                k++;
                var open = k == n - 1 && items[k].IsLinked;
                results[k] = new CreateResult(k, open ? ResultCode.LinkedEventChainOpen : ResultCode.LinkedEventFailed);
            }

            chainStart = -1;
            return k;
        }

        if (!items[i].IsLinked)
        {
            CommitChain(ref sink);
            chainStart = -1;
        }

        return i;
    }

    private void BeginChain()
    {
        Debug.Assert(!_inChain && _undoCount == 0 && _eventCount == 0);
        _inChain = true;
    }

    private void CommitChain<TSink>(ref TSink sink) where TSink : struct, ILedgerEventSink
    {
        Debug.Assert(_inChain);
        _inChain = false;
        _undoCount = 0;
        for (var i = 0; i < _eventCount; i++)
        {
            ref readonly var e = ref _events[i];
            switch (e.Kind)
            {
                case BufferedEventKind.AccountCreated: sink.OnAccountCreated(in e.First); break;
                case BufferedEventKind.TransferPosted: sink.OnTransferPosted(in e.Transfer, in e.First, in e.Second); break;
                case BufferedEventKind.PendingCreated: sink.OnPendingCreated(in e.Transfer, in e.First, in e.Second); break;
                case BufferedEventKind.PendingPosted: sink.OnPendingPosted(in e.Transfer, in e.Pending, in e.First, in e.Second); break;
                case BufferedEventKind.PendingVoided: sink.OnPendingVoided(in e.Transfer, in e.Pending, in e.First, in e.Second); break;
                default: throw new UnreachableException();
            }
        }

        _events.AsSpan(0, _eventCount).Clear();
        _eventCount = 0;
    }

    /// <summary>Undo every effect of the open chain, newest first, so the state is exactly as before it.</summary>
    private void RollbackChain()
    {
        Debug.Assert(_inChain);
        for (var i = _undoCount - 1; i >= 0; i--)
        {
            ref var u = ref _undo[i];
            switch (u.Kind)
            {
                case UndoKind.AccountCreated:
                    Debug.Assert(u.Target == _accountCount - 1);
                    _accountIndex.Remove(_accounts[u.Target].Id);
                    CaptureBeforeAccountWrite(u.Target);
                    _accounts[u.Target] = default;
                    _accountCount--;
                    break;
                case UndoKind.AccountChanged:
                    CaptureBeforeAccountWrite(u.Target);
                    _accounts[u.Target] = u.PriorAccount;
                    break;
                case UndoKind.TransferInserted:
                {
                    var slot = u.Target;
                    ref var record = ref _slots[slot];
                    if (record.State == TransferState.Pending)
                    {
                        _pendingCount--;
                        if (_expiry.Contains(slot)) _expiry.Remove(slot);
                    }

                    var popped = _window.PopBack();
                    Debug.Assert(popped == slot);
                    _transferIndex.Remove(record.Transfer.Id);
                    FreeSlot(slot);
                    break;
                }

                case UndoKind.PendingResolved:
                {
                    CaptureBeforeSlotWrite(u.Target);
                    ref var record = ref _slots[u.Target];
                    record.State = TransferState.Pending;
                    _pendingCount++;
                    if (record.DeadlineTimestamp != 0) _expiry.Push(u.Target, record.DeadlineTimestamp, record.Transfer.Id);
                    break;
                }

                case UndoKind.DeferredFreePushed:
                    _deferredFreeCount--;
                    Debug.Assert(_deferredFree[_deferredFreeCount] == u.Target);
                    break;
                default:
                    throw new UnreachableException();
            }
        }

        _undo.AsSpan(0, _undoCount).Clear();
        _undoCount = 0;
        _events.AsSpan(0, _eventCount).Clear();
        _eventCount = 0;
        _inChain = false;
    }

    private void PushUndo(UndoKind kind, int target)
    {
        Debug.Assert(_inChain);
        if (_undoCount == _undo.Length) Array.Resize(ref _undo, _undo.Length * 2);
        ref var u = ref _undo[_undoCount++];
        u.Kind = kind;
        u.Target = target;
    }

    private void PushAccountUndo(int accountIndex)
    {
        Debug.Assert(_inChain);
        if (_undoCount == _undo.Length) Array.Resize(ref _undo, _undo.Length * 2);
        ref var u = ref _undo[_undoCount++];
        u.Kind = UndoKind.AccountChanged;
        u.Target = accountIndex;
        u.PriorAccount = _accounts[accountIndex];
    }

    private ref BufferedEvent NextBufferedEvent(BufferedEventKind kind)
    {
        if (_eventCount == _events.Length) Array.Resize(ref _events, _events.Length * 2);
        ref var e = ref _events[_eventCount++];
        e.Kind = kind;
        return ref e;
    }
}
