using System.Text;

namespace Wallet.Gateway.Auth;

/// <summary>
/// The configured users, checked at logon. Unknown users are verified against a dummy hash so that the time
/// taken does not reveal which names exist.
/// </summary>
public sealed class UserDirectory
{
    private readonly Dictionary<string, (StoredPassword Password, UserPrincipal Principal)> _users;
    private readonly StoredPassword _dummy;

    public UserDirectory(IEnumerable<UserDefinition> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        _users = new Dictionary<string, (StoredPassword, UserPrincipal)>(StringComparer.Ordinal);
        int maxIterations = PasswordHasher.MinIterations;
        foreach (UserDefinition u in users)
        {
            if (string.IsNullOrWhiteSpace(u.Name) || Encoding.UTF8.GetByteCount(u.Name) > 256)
                throw new ArgumentException("Users: every user needs a name of 1..256 bytes.", nameof(users));
            if (!PasswordHasher.TryParse(u.PasswordHash, out StoredPassword stored, out string error))
                throw new ArgumentException($"Users:{u.Name}:PasswordHash: {error}.", nameof(users));
            AccountGrant grant;
            try
            {
                grant = AccountGrant.Parse(u.DebitAccounts ?? []);
            }
            catch (FormatException ex)
            {
                throw new ArgumentException($"Users:{u.Name}:DebitAccounts: {ex.Message}.", nameof(users), ex);
            }
            if (!Enum.IsDefined(u.Role)) throw new ArgumentException($"Users:{u.Name}:Role must be 'admin', 'client', 'system' or 'peer'.", nameof(users));
            // A system user (a peer's saga sequencer) moves money only through SystemTransfers, which any partition
            // accepts from it; a debit grant would mean nothing and suggest otherwise.
            if (u.Role == Role.System && u.DebitAccounts is { Count: > 0 })
                throw new ArgumentException($"Users:{u.Name}:DebitAccounts must be empty for a user of the system role.", nameof(users));
            // A peer gateway debits whatever its own client was granted (checked there): a grant here would mean nothing.
            if (u.Role == Role.Peer && u.DebitAccounts is { Count: > 0 })
                throw new ArgumentException($"Users:{u.Name}:DebitAccounts must be empty for a user of the peer role (the forwarding node checks its client's grants).", nameof(users));
            if (!_users.TryAdd(u.Name, (stored, new UserPrincipal(u.Name, u.Role, grant))))
                throw new ArgumentException($"Users: duplicate user '{u.Name}'.", nameof(users));
            maxIterations = Math.Max(maxIterations, stored.Iterations);
        }
        if (_users.Count == 0) throw new ArgumentException("Users: at least one user must be configured.", nameof(users));
        _dummy = new StoredPassword(maxIterations, new byte[PasswordHasher.SaltBytes], new byte[PasswordHasher.HashBytes]);
    }

    public int Count => _users.Count;

    /// <summary>Checks a logon; null when the name is unknown or the password wrong (the caller cannot tell which).</summary>
    public UserPrincipal? Authenticate(ReadOnlySpan<byte> clientId, ReadOnlySpan<byte> password)
    {
        // Logon is rare: a string for the name lookup is fine here.
        string name = Encoding.UTF8.GetString(clientId);
        if (_users.TryGetValue(name, out var user))
        {
            return PasswordHasher.Verify(password, user.Password) ? user.Principal : null;
        }
        PasswordHasher.Verify(password, _dummy);
        return null;
    }
}
