using Npgsql;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>
/// The baseline's tables and its transfer function. The function is the fairest form for PostgreSQL (the same role
/// as the Redis Lua script): one round trip per transfer instead of four (insert, debit, credit, commit), with the
/// same work inside one transaction:
/// <list type="number">
/// <item>insert the transfer row; a primary-key conflict is the idempotent repeat (code 1, nothing changes);</item>
/// <item>lock both account rows in id order, so two opposite transfers never deadlock;</item>
/// <item>debit with the balance check (a failed check raises SQLSTATE WA002, which rolls the whole transaction back,
/// transfer row included), then credit.</item>
/// </list>
/// </summary>
internal static class PostgresSchema
{
    /// <summary>The SQLSTATE the function raises for a failed balance check (a user-defined class, not one of PostgreSQL's).</summary>
    public const string InsufficientFundsState = "WA002";

    private const string Ddl = """
        CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL);
        CREATE TABLE transfers (id bigint PRIMARY KEY, debit_account bigint NOT NULL, credit_account bigint NOT NULL, amount bigint NOT NULL);
        CREATE FUNCTION wallet_transfer(p_id bigint, p_debit bigint, p_credit bigint, p_amount bigint) RETURNS int
        LANGUAGE plpgsql AS $$
        DECLARE
            n int;
        BEGIN
            INSERT INTO transfers (id, debit_account, credit_account, amount)
                VALUES (p_id, p_debit, p_credit, p_amount) ON CONFLICT (id) DO NOTHING;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n = 0 THEN
                RETURN 1;
            END IF;
            PERFORM 1 FROM accounts WHERE id IN (p_debit, p_credit) ORDER BY id FOR UPDATE;
            UPDATE accounts SET balance = balance - p_amount WHERE id = p_debit AND balance >= p_amount;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n = 0 THEN
                RAISE EXCEPTION 'insufficient funds' USING ERRCODE = 'WA002';
            END IF;
            UPDATE accounts SET balance = balance + p_amount WHERE id = p_credit;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n = 0 THEN
                RAISE EXCEPTION 'no credit account %', p_credit;
            END IF;
            RETURN 0;
        END;
        $$;
        """;

    /// <summary>Creates the schema and loads <paramref name="accounts"/> accounts (ids 1..n) with <see cref="BaselineLoad.InitialBalanceMinor"/>.</summary>
    public static void Create(string connectionString, int accounts)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using (var ddl = new NpgsqlCommand(Ddl, connection))
        {
            ddl.ExecuteNonQuery();
        }
        using var load = new NpgsqlCommand("INSERT INTO accounts (id, balance) SELECT g, $1 FROM generate_series(1, $2) AS g", connection);
        load.Parameters.Add(new NpgsqlParameter<long> { TypedValue = BaselineLoad.InitialBalanceMinor });
        load.Parameters.Add(new NpgsqlParameter<long> { TypedValue = accounts });
        load.ExecuteNonQuery();
        using var analyze = new NpgsqlCommand("VACUUM ANALYZE accounts", connection);
        analyze.ExecuteNonQuery();
    }

    /// <summary>(sum of balances, account count, transfer rows): money must be conserved.</summary>
    public static (long Sum, long Accounts, long Transfers, string Version) Totals(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand("SELECT sum(balance)::bigint, count(*), (SELECT count(*) FROM transfers), version() FROM accounts", connection);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetString(3));
    }
}
