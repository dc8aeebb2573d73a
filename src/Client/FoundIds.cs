namespace Wallet.Client;

/// <summary>
/// Lookup answers hold the records found "in request order; ids not found are simply absent", so the found ids are
/// a subsequence of the ids asked for. A record the caller did not ask for (a buggy or hostile gateway, or a man in
/// the middle) must not be handed over as if it were an answer: it is a <see cref="WalletProtocolException"/>.
/// </summary>
internal static class FoundIds
{
    /// <summary>
    /// Checks the found <paramref name="id"/> against the ids asked for, from <paramref name="cursor"/> on; returns the
    /// cursor for the next found record. Linear over the whole answer (the cursor only moves forward).
    /// </summary>
    public static int Match(ReadOnlySpan<UInt128> asked, int cursor, UInt128 id, string answer)
    {
        for (int i = cursor; i < asked.Length; i++)
        {
            if (asked[i] == id)
            {
                return i + 1;
            }
        }
        throw new WalletProtocolException($"{answer} holds id {id}, which was not asked for (or is out of request order)");
    }
}
