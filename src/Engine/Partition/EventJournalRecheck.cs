namespace Wallet.Engine.Partition;

/// <summary>
/// The event journal's open checks its recent tail only (docs/ARCHITECTURE.md, "How much an open reads"); damage further
/// back is met by the read model's projector. This is how the two meet: the projector leaves a request in the data
/// directory (<see cref="PartitionEngine.EventJournalRecheckFile"/>), and the next start of the partition checks the whole
/// event journal, cuts it at the damage and regenerates the rest from commands, then clears the request.
/// </summary>
public static class EventJournalRecheck
{
    /// <summary>The least tail an event journal's open checks besides its last segment, whatever the drop-behind window.</summary>
    public const long MinCheckTailBytes = 256L << 20;

    /// <summary>
    /// How much of the event journal's end an open checks: twice the page-cache window behind the writer (drop-behind
    /// starts writing pages back at half the window, so older ones reached the disk long before a crash), at least
    /// <see cref="MinCheckTailBytes"/>.
    /// </summary>
    public static long CheckTailBytes(long pageCacheKeepBytes) => Math.Max(MinCheckTailBytes, 2 * pageCacheKeepBytes);

    /// <summary>True when a projector asked for the whole event journal to be checked at the next start.</summary>
    public static bool IsRequested(string dataDirectory) => File.Exists(PathIn(dataDirectory));

    /// <summary>
    /// Asks the next start to check the whole event journal (idempotent; any thread). Returns false when the request
    /// could not be written (the reason is the caller's to report; the damage is reported either way).
    /// </summary>
    public static bool Request(string dataDirectory, string reason)
    {
        try
        {
            File.WriteAllText(PathIn(dataDirectory), reason + Environment.NewLine);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The start that checked the whole journal clears the request (a lost delete only means one more full check).</summary>
    public static void Done(string dataDirectory)
    {
        try
        {
            File.Delete(PathIn(dataDirectory));
        }
        catch (IOException)
        {
        }
    }

    private static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, PartitionEngine.EventJournalRecheckFile);
}
