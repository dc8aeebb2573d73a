namespace Wallet.Gateway.Fix;

/// <summary>UTCTimestamp "YYYYMMDD-HH:MM:SS.sss" (FIX 4.4, millisecond precision), formatted without allocating.</summary>
internal static class FixTime
{
    public const int Length = 21;

    public static long NowUnixNanoseconds() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public static void Format(long unixNanoseconds, Span<byte> destination)
    {
        var t = new DateTime(DateTime.UnixEpoch.Ticks + Math.Max(0, unixNanoseconds) / 100, DateTimeKind.Utc);
        Digits(destination[..4], t.Year);
        Digits(destination.Slice(4, 2), t.Month);
        Digits(destination.Slice(6, 2), t.Day);
        destination[8] = (byte)'-';
        Digits(destination.Slice(9, 2), t.Hour);
        destination[11] = (byte)':';
        Digits(destination.Slice(12, 2), t.Minute);
        destination[14] = (byte)':';
        Digits(destination.Slice(15, 2), t.Second);
        destination[17] = (byte)'.';
        Digits(destination.Slice(18, 3), t.Millisecond);
    }

    private static void Digits(Span<byte> destination, int value)
    {
        for (int i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }
}
