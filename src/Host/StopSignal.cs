using System.Runtime.InteropServices;

namespace Wallet.Host;

/// <summary>
/// SIGINT/SIGTERM for the whole process lifetime. A long-running verb (serve, cluster) calls <see cref="Arm"/> and awaits
/// the task it returns; the handlers are never unregistered, so a signal that lands after the verb has finished its
/// graceful stop (while Main unwinds) is swallowed instead of getting the runtime's default handling, which would turn
/// a clean exit 0 into 143 — seen in CI when a test sent SIGTERM every 15 ms.
/// </summary>
internal static class StopSignal
{
    private static readonly object s_gate = new();
    private static TaskCompletionSource? s_stop;
    private static PosixSignalRegistration? s_sigint;
    private static PosixSignalRegistration? s_sigterm;

    /// <summary>Installs the handlers (once) and returns a task completed by the first SIGINT/SIGTERM from now on.</summary>
    public static Task Arm()
    {
        lock (s_gate)
        {
            s_stop ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            s_sigint ??= PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            s_sigterm ??= PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            return s_stop.Task;
        }
    }

    private static void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // we shut down ourselves, gracefully; a repeat signal during or after the stop is a no-op
        lock (s_gate) s_stop?.TrySetResult();
    }
}
