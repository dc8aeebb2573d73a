using Wallet.Fuzz.Targets;

namespace Wallet.Fuzz;

/// <summary>Every target, in a fixed order (the CLI lists them this way).</summary>
internal static class FuzzTargets
{
    public static readonly FuzzTarget[] All =
    [
        new("sbe", "SOFH frames of SBE requests as a client sends them: framing, RequestLayout.Validate, then every field and group of a validated request read with the generated decoders (must stay inside the frame; group count = validated count)", SbeRequestTarget.Run, SbeRequestTarget.Seeds, SbeRequestTarget.Repair),
        new("fix", "FIX byte streams: FixFramer.Next and FixMessage.Parse (progress, bounds, checksum really matches, lookups safe)", FixTarget.Run, FixTarget.Seeds),
        new("json", "HTTP request bodies: JsonBody.ReadAsync then the field reads of POST /v1/wallet/balance_transfer and POST /v1/accounts (ids, amount at scale 2, strings, uints, flag arrays, unknown members): a refusal always has a text", JsonBodyTarget.Run, JsonBodyTarget.Seeds),
        new("journal", "a journal segment file: Journal.Verify never throws for bad bytes and names the problem; a segment it calls valid opens read-only and reads back exactly the records it counted, indexes consecutive", JournalTarget.Run, JournalTarget.Seeds),
        new("raft", "consensus messages into node 1 of a 3-member group, claimed from any node id, time moving: malformed ones dropped and counted; no message makes the term or the commit index go back, or the commit index pass the log's end", RaftTarget.Run, RaftTarget.Seeds),
        new("amount", "decimal amount text: AmountText.TryParse at scales 0, 2, 8 and 18; an accepted amount formats and parses back to itself", AmountTarget.Run, AmountTarget.Seeds),
        new("snapshot", "ledger state bytes (a snapshot's payload): LedgerStateMachine.Restore refuses with InvalidDataException or restores a state that satisfies the ledger invariants and writes back the same bytes", SnapshotTarget.Run, SnapshotTarget.Seeds),
        new("client", "a gateway's byte stream into the client SDK: its SOFH check, then each frame as a logon answer and through the receive loop's dispatch and every in-flight request kind's Complete: only the SDK's documented exceptions; a result fits its request (counts, item indexes, ids asked for in order)", ClientResponseTarget.Run, ClientResponseTarget.Seeds, ClientResponseTarget.Repair),
        new("http", "HTTP URL text: a path id (IdText.TryParse; an accepted id formats and parses back, and means what its decimal or UUID text says) and every query-parameter parser of the endpoints (QueryText: RFC 3339 / ns times, limit, index and timestamp_ns, order, source, partition): a value in its documented range or a refusal with a text", HttpQueryTarget.Run, HttpQueryTarget.Seeds),
    ];

    public static FuzzTarget? Find(string name)
    {
        foreach (FuzzTarget t in All)
        {
            if (string.Equals(t.Name, name, StringComparison.Ordinal)) return t;
        }
        return null;
    }
}
