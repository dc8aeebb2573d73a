using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wallet.Gateway.Http;

/// <summary>Where an answer came from: the BLP (exact, at the index it observed) or the read model (at its position).</summary>
public sealed record SourceJson(string Kind, long Index, long Timestamp);

public sealed record BalancesJson(string DebitsPending, string DebitsPosted, string CreditsPending, string CreditsPosted, string Balance);

public sealed record AccountJson(
    string Id, string Currency, uint Ledger, ushort Code, IReadOnlyList<string> Flags, [property: JsonPropertyName("user_data_128")] string UserData128, [property: JsonPropertyName("user_data_64")] ulong UserData64, [property: JsonPropertyName("user_data_32")] uint UserData32,
    long Timestamp, BalancesJson Balances, SourceJson Source);

public sealed record TransferJson(
    string Id, string DebitAccount, string CreditAccount, string Amount, string Currency, uint Ledger, ushort Code,
    IReadOnlyList<string> Flags, string? PendingId, uint TimeoutSeconds, [property: JsonPropertyName("user_data_128")] string UserData128, long Timestamp,
    string? Status, long? Index, long? ResolvedIndex, string? ResolvedBy, SourceJson Source);

public sealed record CommandJson(string Id, string Result, long Index, long Timestamp);

public sealed record HistoryRowJson(
    long Index, uint Ordinal, long Timestamp, string Time, long EventTimestamp, string Event, string Side,
    string? TransferId, string? Counterparty, string Amount, BalancesJson BalancesAfter);

public sealed record HistoryJson(string AccountId, string Currency, string Order, IReadOnlyList<HistoryRowJson> Rows, string? NextCursor, SourceJson Source);

public sealed record BalanceAtJson(string AccountId, string Currency, long? AtIndex, long? AtTimestamp, bool Found, long? ChangeIndex, long? ChangeTimestamp, BalancesJson? Balances, SourceJson Source);

public sealed record AccountListJson(IReadOnlyList<AccountJson> Accounts, SourceJson Source);

public sealed record ReadModelJson(string State, long Index, long Timestamp, long EventsApplied, long JournalIndex, long LagEvents, long LagMs, long LagAgeMs, long Rebuilds, string? LastError, bool EventJournalRecheck = false);

public sealed record HealthJson(string Status, string? Partition, string? ReadModel, long? AppliedIndex);

/// <summary>The API's JSON conventions: snake_case members, nulls omitted.</summary>
public static class HttpJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
