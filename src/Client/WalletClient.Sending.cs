using System.Buffers;
using System.Diagnostics;

namespace Wallet.Client;

public sealed partial class WalletClient
{
    private long _requestWrites;
    private long _requestFramesWritten;

    /// <summary>Socket writes that carried request frames, and the frames they carried (gathering shows as frames &gt; writes).</summary>
    internal (long Writes, long Frames) RequestWriteStats =>
        (Interlocked.Read(ref _requestWrites), Interlocked.Read(ref _requestFramesWritten));

    /// <summary>
    /// The connection's writer — the only one but for single transfers sent directly by their callers on an idle
    /// connection; <see cref="ConnectionWriter"/> keeps it to one at a time. Takes as many queued requests as fit in the
    /// free in-flight slots and one send buffer, coalesces waiting single transfers, encodes them back to back and writes
    /// them with one socket call; first writes the tail of a direct send the socket did not take whole. Sends a
    /// Heartbeat when nothing was written for a heartbeat interval.
    /// </summary>
    private async Task SendLoopAsync(Connection connection)
    {
        int capacity = Math.Max(_options.SendBufferBytes, connection.Limits.MaxFrameBytes);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(capacity);
        var batch = new List<(IPendingRequest Request, ulong CorrelationId)>();
        var refused = new List<(IPendingRequest Request, Exception Error)>();
        long heartbeatTicks = connection.Limits.HeartbeatIntervalMs * Stopwatch.Frequency / 1000;
        try
        {
            while (true)
            {
                if (connection.Writer.TryTakeHandedOver(out ReadOnlyMemory<byte> remainder))
                {
                    // The tail of a direct send's frame: written before anything else, so frames never interleave.
                    await connection.SendAsync(remainder).ConfigureAwait(false);
                    connection.Writer.ReleaseByLoop();
                }
                if (connection.LogoutRequested)
                {
                    if (!connection.Writer.TryTakeForLoop())
                    {
                        // A direct send is writing (it wakes us when done) or handed us a tail (taken at the top).
                        await connection.Signal.WaitAsync(LogoutWaitMs, connection.Stopping).ConfigureAwait(false);
                        continue;
                    }
                    int length = FrameCodec.Logout(buffer);
                    await connection.SendAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                    return; // the writer stays taken: nothing may follow Logout
                }
                batch.Clear();
                CollectSendWork(connection, batch, refused, capacity);
                if (refused.Count > 0)
                {
                    // Failed outside the lock: a completion may run a caller's handler or continuation inline.
                    foreach ((IPendingRequest request, Exception error) in refused)
                    {
                        request.Fail(error);
                    }
                    refused.Clear();
                }
                if (batch.Count == 0)
                {
                    long idleTicks = Stopwatch.GetTimestamp() - connection.LastSendTimestamp;
                    if (idleTicks >= heartbeatTicks && connection.Writer.TryTakeForLoop())
                    {
                        int length = FrameCodec.Heartbeat(buffer, (long)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
                        await connection.SendAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                        connection.Writer.ReleaseByLoop();
                        continue;
                    }
                    // Not taken: a direct send is writing right now (it moves the heartbeat clock and wakes us when done).
                    int waitMs = (int)Math.Max(1, (heartbeatTicks - idleTicks) * 1000 / Stopwatch.Frequency);
                    await connection.Signal.WaitAsync(waitMs, connection.Stopping).ConfigureAwait(false);
                    continue;
                }
                int offset = 0;
                foreach ((IPendingRequest request, ulong correlationId) in batch)
                {
                    offset += request.Encode(buffer.AsSpan(offset, request.FrameBytes), correlationId);
                }
                // Counted before the write: the answers can complete the callers before this continuation runs.
                Interlocked.Increment(ref _requestWrites);
                Interlocked.Add(ref _requestFramesWritten, batch.Count);
                await connection.SendAsync(buffer.AsMemory(0, offset)).ConfigureAwait(false);
                connection.Writer.ReleaseByLoop(); // taken by CollectSendWork
            }
        }
        catch (Exception e)
        {
            OnConnectionLost(connection, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Moves work from the queues to in-flight, under the lock, without encoding (that happens outside).</summary>
    private void CollectSendWork(Connection connection, List<(IPendingRequest, ulong)> batch, List<(IPendingRequest, Exception)> refused,
        int capacityBytes)
    {
        lock (_gate)
        {
            if (_connection != connection)
            {
                return;
            }
            int maxInFlight = connection.Limits.MaxInFlight;
            if (_inFlight.Count >= maxInFlight || (_queue.Count == 0 && _singles.Count == 0))
            {
                return;
            }
            // Taken under the lock, where direct senders take it too: whatever is queued now leaves before any later
            // direct send. Busy (a direct send is writing): the sender wakes us when it is done.
            if (!connection.Writer.TryTakeForLoop())
            {
                return;
            }
            CollectTaken(connection, batch, refused, capacityBytes);
            if (batch.Count == 0)
            {
                connection.Writer.ReleaseByLoop();
            }
        }
    }

    /// <summary>Under the lock, with the writer taken.</summary>
    private void CollectTaken(Connection connection, List<(IPendingRequest, ulong)> batch, List<(IPendingRequest, Exception)> refused,
        int capacityBytes)
    {
        int maxInFlight = connection.Limits.MaxInFlight;
        int bytes = 0;
        while (_inFlight.Count < maxInFlight && _queue.TryPeek(out IPendingRequest? request))
        {
            if (request.IsFinished)
            {
                _queue.Dequeue(); // cancelled or timed out while waiting: never sent
                continue;
            }
            if (request.FrameBytes > connection.Limits.MaxFrameBytes || request.ItemCount > connection.Limits.MaxBatchSize)
            {
                // Only possible after a reconnect to a gateway with smaller limits; it would block the queue.
                _queue.Dequeue();
                refused.Add((request, new WalletRejectedException(Protocol.Sbe.RejectReason.BatchTooLarge, 0, request.CorrelationId,
                    $"{request.ItemCount} items / {request.FrameBytes} bytes exceed this session's limits " +
                    $"(maxBatchSize {connection.Limits.MaxBatchSize}, maxFrameBytes {connection.Limits.MaxFrameBytes})")));
                continue;
            }
            if (bytes + request.FrameBytes > capacityBytes)
            {
                break;
            }
            _queue.Dequeue();
            bytes += request.FrameBytes;
            batch.Add((request, Track(request)));
        }
        int maxItems = connection.Limits.MaxItemsPerMessage(FrameCodec.TransferEntryBytes);
        while (_inFlight.Count < maxInFlight && _singles.Count > 0)
        {
            int room = Math.Min(maxItems, (capacityBytes - bytes - FrameCodec.BatchOverheadBytes) / FrameCodec.TransferEntryBytes);
            if (room <= 0)
            {
                break;
            }
            int want = Math.Min(room, _singles.Count);
            CoalescedTransfersRequest coalesced = RentBatch(want);
            while (coalesced.Count < want && _singles.TryDequeue(out QueuedTransfer single))
            {
                // A call cancelled or timed out while queued is dropped here: never sent.
                if (single.IsPending)
                {
                    coalesced.Add(single);
                }
            }
            if (coalesced.Count == 0)
            {
                ReturnBatch(coalesced);
                continue;
            }
            bytes += coalesced.FrameBytes;
            batch.Add((coalesced, Track(coalesced)));
        }
    }

    /// <summary>Under the lock: a fresh correlation id per send, so a stale answer can never match a resend.</summary>
    private ulong Track(IPendingRequest request)
    {
        ulong id = ++_lastCorrelationId;
        request.CorrelationId = id;
        _inFlight.Add(id, request);
        return id;
    }
}
