using Microsoft.Extensions.Configuration;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Tests.Support;
using Wallet.Host.Configuration;

namespace Wallet.Gateway.Tests;

/// <summary>The "Fix" section of the serve settings: off by default, validated up front when enabled.</summary>
public sealed class FixSettingsTests
{
    private static IConfiguration Shipped_with(params (string Key, string? Value)[] overrides) => ShippedSettings.With(overrides);

    [Fact]
    public void The_shipped_settings_leave_FIX_off()
    {
        Assert.Null(ServeSettings.Load(Shipped_with()).Fix);
    }

    [Fact]
    public void Enabled_FIX_loads_the_partner_and_stores_under_the_data_directory()
    {
        ServeSettings s = ServeSettings.Load(Shipped_with(("Fix:Enabled", "true"), ("DataDirectory", "/tmp/wallet-fix-settings")));
        Assert.NotNull(s.Fix);
        Assert.Equal(7410, s.Fix!.Port);
        Assert.Equal(Path.Combine("/tmp/wallet-fix-settings", "fix"), s.Fix.StoreDirectory);
        Assert.Equal("PARTNER1", s.Fix.Partners[0].SenderCompId);
        Assert.Equal(Role.Client, s.Fix.Partners[0].Role);
        Assert.Equal(Wallet.Engine.Journal.FsyncPolicy.Batch, s.Fix.Fsync);
    }

    [Theory]
    [InlineData("none", Wallet.Engine.Journal.FsyncPolicy.None)]
    [InlineData("Always", Wallet.Engine.Journal.FsyncPolicy.Always)]
    public void The_FIX_store_fsync_policy_is_read_by_name(string value, Wallet.Engine.Journal.FsyncPolicy expected)
    {
        ServeSettings s = ServeSettings.Load(Shipped_with(("Fix:Enabled", "true"), ("Fix:Fsync", value)));
        Assert.Equal(expected, s.Fix!.Fsync);
    }

    [Theory]
    [InlineData("Fix:Port", "0", "Fix:Port")]
    [InlineData("Fix:MaxMessageBytes", "100", "Fix:MaxMessageBytes")]
    [InlineData("Fix:Partners:0:SenderCompId", "bad id/..", "SenderCompId")]
    [InlineData("Fix:Partners:0:PasswordHash", "plain", "PasswordHash")]
    [InlineData("Fix:Host", "nowhere", "Fix:Host")]
    [InlineData("Fix:Fsync", "sometimes", "Fix:Fsync = 'sometimes' is invalid: expected one of none, batch, always")]
    [InlineData("Fix:Fsync", "1", "Fix:Fsync")]
    public void Bad_FIX_values_are_refused_naming_the_setting(string key, string value, string expected)
    {
        var ex = Assert.Throws<SettingsException>(() => ServeSettings.Load(Shipped_with(("Fix:Enabled", "true"), (key, value))));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
