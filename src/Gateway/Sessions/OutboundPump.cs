using System.Net.Sockets;

namespace Wallet.Gateway.Sessions;

/// <summary>
/// The write side every session kind shares (SBE <see cref="Session"/>, FIX <see cref="Fix.FixSession"/>): wait for the
/// wake-up, take whatever the session's bounded outbound buffer holds, write it, repeat. A closing session gets its last
/// bytes (the Logout) out, then a FIN; the close linger does the rest. Socket errors abort the session.
/// </summary>
internal static class OutboundPump
{
    // beforeSend: optional gate awaited after the pending bytes are taken and before they are written (the FIX store's
    // group-commit sync, on the session's sync thread: everything those bytes depend on was written before they were
    // queued). False: the bytes are dropped unsent and the session aborted.
    // finSent: told once the closing session's last bytes are out and the FIN is sent (the close linger starts there:
    // CloseLinger).
    public static async Task RunAsync(Socket socket, OutboundBuffer output, AsyncSignal wake, Func<SessionState> state, Action abort, Func<ValueTask<bool>>? beforeSend = null, Action? finSent = null)
    {
        try
        {
            while (true)
            {
                await wake.WaitAsync().ConfigureAwait(false);
                while (true)
                {
                    ReadOnlyMemory<byte> chunk = default;
                    SessionState now;
                    lock (output.Sync)
                    {
                        if (output.PendingBytes > 0) chunk = output.TakePending();
                        // Busy while it holds taken bytes: a producer sending directly would overtake them.
                        output.WriterBusy = !chunk.IsEmpty;
                        now = state();
                    }
                    if (now == SessionState.Closed) return;
                    if (chunk.IsEmpty)
                    {
                        if (now == SessionState.Closing)
                        {
                            // Everything (the Logout included) is out: FIN, then wait for the peer or the linger.
                            socket.Shutdown(SocketShutdown.Send);
                            finSent?.Invoke();
                            return;
                        }
                        break;
                    }
                    if (beforeSend is not null && !await beforeSend().ConfigureAwait(false))
                    {
                        abort();
                        return;
                    }
                    int sent = 0;
                    while (sent < chunk.Length)
                    {
                        sent += await socket.SendAsync(chunk[sent..], SocketFlags.None).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (SocketException) { abort(); }
        catch (ObjectDisposedException) { abort(); }
    }
}
