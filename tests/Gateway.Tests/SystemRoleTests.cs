using Microsoft.Extensions.Configuration;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Fix;
using Wallet.Gateway.Tests.Http;
using Wallet.Gateway.Tests.Support;
using Wallet.Host.Configuration;

namespace Wallet.Gateway.Tests;

/// <summary>The system role (a peer node's saga sequencer) in configuration, in the user directory, and on HTTP and FIX.</summary>
public sealed class SystemRoleTests
{
    private static IConfiguration Shipped_with(params (string Key, string? Value)[] overrides) => ShippedSettings.With(overrides);

    [Fact]
    public void A_user_entry_with_role_system_loads_as_a_system_principal_that_debits_nothing()
    {
        string hash = PasswordHasher.Hash("peer-pw", PasswordHasher.MinIterations);
        ServeSettings s = ServeSettings.Load(Shipped_with(("Users:2:Name", "sequencer"), ("Users:2:PasswordHash", hash), ("Users:2:Role", "System")));
        UserDefinition peer = s.Users.Single(u => u.Name == "sequencer");
        Assert.Equal(Role.System, peer.Role);
        UserPrincipal principal = new UserDirectory(s.Users).Authenticate("sequencer"u8, "peer-pw"u8)!;
        Assert.True(principal.IsSystem);
        Assert.False(principal.IsAdmin);
        Assert.False(principal.MayDebit(1500));
    }

    [Fact]
    public void A_system_user_with_debit_accounts_is_refused_naming_the_user()
    {
        string h = PasswordHasher.Hash("pw", PasswordHasher.MinIterations);
        var ex = Assert.Throws<ArgumentException>(() => new UserDirectory([new UserDefinition("seq", h, Role.System, ["1-9"])]));
        Assert.Contains("Users:seq:DebitAccounts", ex.Message, StringComparison.Ordinal);
        Assert.Contains("system role", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'system'", Assert.Throws<ArgumentException>(() => new UserDirectory([new UserDefinition("x", h, (Role)7, [])])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_FIX_partner_may_not_have_the_system_role()
    {
        Assert.Throws<ArgumentException>(() => new FixPartnerDirectory([
            new FixPartner("PEER", "WALLET", "peer", PasswordHasher.Hash("pw", PasswordHasher.MinIterations), Role.System, [])]));
        var ex = Assert.Throws<SettingsException>(() => ServeSettings.Load(Shipped_with(("Fix:Enabled", "true"), ("Fix:Partners:0:Role", "system"), ("Fix:Partners:0:DebitAccounts:0", null))));
        Assert.Contains("system role", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HTTP_refuses_a_system_user_everywhere()
    {
        await using HttpFixture f = await HttpFixture.StartAsync();
        const string peer = "peer:" + GatewayFixture.SystemPassword;
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/accounts/100", peer), 403, "Unauthorized");
        await HttpFixture.ProblemAsync(await f.PostAsync("/v1/accounts", """{"id":"100","currency":"USD"}""", peer), 403, "Unauthorized");
        await HttpFixture.ProblemAsync(await f.PostAsync("/v1/wallet/balance_transfer",
            """{"from_account":"100","to_account":"101","amount":"1.00","currency":"USD","transaction_id":"1"}""", peer), 403, "Unauthorized");
        Assert.Equal(0, f.Server.Partition.AppliedIndex);
    }
}
