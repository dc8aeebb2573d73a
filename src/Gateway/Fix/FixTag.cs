namespace Wallet.Gateway.Fix;

/// <summary>FIX 4.4 tag numbers used by the gateway, and the wallet's own tags (5000+). See docs/FIX.md.</summary>
internal static class FixTag
{
    public const int BeginSeqNo = 7;
    public const int BeginString = 8;
    public const int BodyLength = 9;
    public const int CheckSum = 10;
    public const int Currency = 15;
    public const int EndSeqNo = 16;
    public const int MsgSeqNum = 34;
    public const int MsgType = 35;
    public const int NewSeqNo = 36;
    public const int PossDupFlag = 43;
    public const int RefSeqNum = 45;
    public const int SenderCompId = 49;
    public const int SendingTime = 52;
    public const int TargetCompId = 56;
    public const int Text = 58;
    public const int TransactTime = 60;
    public const int EncryptMethod = 98;
    public const int HeartBtInt = 108;
    public const int TestReqId = 112;
    public const int OrigSendingTime = 122;
    public const int GapFillFlag = 123;
    public const int ResetSeqNumFlag = 141;
    public const int RefTagId = 371;
    public const int RefMsgType = 372;
    public const int SessionRejectReason = 373;
    public const int BusinessRejectRefId = 379;
    public const int BusinessRejectReason = 380;
    public const int Username = 553;
    public const int Password = 554;

    // ---- wallet tags (user-defined range 5000-9999) ----
    public const int TransferId = 5001;
    public const int DebitAccount = 5002;
    public const int CreditAccount = 5003;
    public const int Amount = 5004;
    public const int LedgerCode = 5005;
    public const int OutcomeCode = 5010;
    public const int LogIndex = 5011;
    public const int TransferStatus = 5012;
    public const int AccountId = 5020;
    public const int AccountFlags = 5021;
    public const int WalletRequestId = 5030;
    public const int DebitsPosted = 5031;
    public const int CreditsPosted = 5032;
    public const int DebitsPending = 5033;
    public const int CreditsPending = 5034;
    public const int Balance = 5035;
}
