using Npgsql;
using NpgsqlTypes;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>
/// One Npgsql connection running transfers through the prepared <c>SELECT wallet_transfer($1, $2, $3, $4)</c>: one
/// statement in autocommit, so one transfer = one transaction = one round trip (see <see cref="PostgresSchema"/>).
/// </summary>
internal sealed class PostgresConnection : IBaselineConnection
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlCommand _transfer;
    private readonly NpgsqlParameter<long> _id = new() { NpgsqlDbType = NpgsqlDbType.Bigint };
    private readonly NpgsqlParameter<long> _debit = new() { NpgsqlDbType = NpgsqlDbType.Bigint };
    private readonly NpgsqlParameter<long> _credit = new() { NpgsqlDbType = NpgsqlDbType.Bigint };
    private readonly NpgsqlParameter<long> _amount = new() { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = BaselineLoad.AmountMinor };

    private PostgresConnection(NpgsqlConnection connection)
    {
        _connection = connection;
        _transfer = new NpgsqlCommand("SELECT wallet_transfer($1, $2, $3, $4)", connection);
        _transfer.Parameters.Add(_id);
        _transfer.Parameters.Add(_debit);
        _transfer.Parameters.Add(_credit);
        _transfer.Parameters.Add(_amount);
    }

    /// <summary>Opens a connection with <c>synchronous_commit</c> set for its session, and prepares the transfer statement.</summary>
    public static PostgresConnection Open(string connectionString, bool synchronousCommit)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            connection.Open();
            using (var set = new NpgsqlCommand(synchronousCommit ? "SET synchronous_commit = on" : "SET synchronous_commit = off", connection))
            {
                set.ExecuteNonQuery();
            }
            var result = new PostgresConnection(connection);
            result._transfer.Prepare();
            return result;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public TransferOutcome Transfer(long transferId, long debitAccount, long creditAccount)
    {
        _id.TypedValue = transferId;
        _debit.TypedValue = debitAccount;
        _credit.TypedValue = creditAccount;
        object? code;
        try
        {
            code = _transfer.ExecuteScalar();
        }
        catch (PostgresException e) when (e.SqlState == PostgresSchema.InsufficientFundsState)
        {
            return TransferOutcome.InsufficientFunds; // the function raised: the whole transaction rolled back
        }
        return code switch
        {
            0 => TransferOutcome.Applied,
            1 => TransferOutcome.Duplicate,
            _ => throw new BaselineException($"wallet_transfer returned {code}"),
        };
    }

    public void Dispose()
    {
        _transfer.Dispose();
        _connection.Dispose();
    }
}
