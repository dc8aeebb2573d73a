using System.Text;
using Wallet.Gateway.Auth;

namespace Wallet.Gateway.Fix;

/// <summary>
/// The configured partners: lookup by the CompID pair of a Logon and the password check, done by the SBE gateway's
/// <see cref="UserDirectory"/> (PBKDF2, constant-time compare, dummy check for unknown names) over the partners'
/// usernames. Partners that share a username share its credentials and grants (the first definition wins).
/// </summary>
public sealed class FixPartnerDirectory
{
    private readonly FixPartner[] _partners;
    private readonly byte[][] _senders;
    private readonly byte[][] _targets;
    private readonly UserDirectory _users;

    public FixPartnerDirectory(IReadOnlyList<FixPartner> partners)
    {
        ArgumentNullException.ThrowIfNull(partners);
        _partners = [.. partners];
        _senders = new byte[_partners.Length][];
        _targets = new byte[_partners.Length][];
        var definitions = new List<UserDefinition>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < _partners.Length; i++)
        {
            FixPartner p = _partners[i];
            // FIX does not carry SystemTransfers: a partner with the system role could do nothing, so it is a mistake.
            if (p.Role == Role.System)
                throw new ArgumentException($"FIX partner '{p.Username}': the system role is for a peer's saga sequencer over SBE, not for FIX partners.", nameof(partners));
            if (p.Role == Role.Peer)
                throw new ArgumentException($"FIX partner '{p.Username}': the peer role is for another node's SBE gateway forwarding requests, not for FIX partners.", nameof(partners));
            _senders[i] = Encoding.ASCII.GetBytes(p.SenderCompId);
            _targets[i] = Encoding.ASCII.GetBytes(p.TargetCompId);
            if (names.Add(p.Username)) definitions.Add(new UserDefinition(p.Username, p.PasswordHash, p.Role, p.DebitAccounts));
        }
        _users = new UserDirectory(definitions);
    }

    public IReadOnlyList<FixPartner> All => _partners;

    /// <summary>The partner whose SenderCompID/TargetCompID are those of the Logon (49/56), or null.</summary>
    public FixPartner? Find(ReadOnlySpan<byte> senderCompId, ReadOnlySpan<byte> targetCompId)
    {
        for (int i = 0; i < _partners.Length; i++)
        {
            if (senderCompId.SequenceEqual(_senders[i]) && targetCompId.SequenceEqual(_targets[i])) return _partners[i];
        }
        return null;
    }

    /// <summary>The principal when Username is the partner's and Password matches; null otherwise (same cost either way).</summary>
    public UserPrincipal? Authenticate(string partnerUsername, ReadOnlySpan<byte> username, ReadOnlySpan<byte> password)
    {
        if (username.IsEmpty || username.Length > 256 || password.Length > PasswordHasher.MaxPasswordBytes) username = "\u0001"u8;
        UserPrincipal? principal = _users.Authenticate(username, password);
        return principal is not null && string.Equals(principal.Name, partnerUsername, StringComparison.Ordinal) ? principal : null;
    }
}
