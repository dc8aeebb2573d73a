using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Wallet.Engine.Ledger;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet saga resolve SAGA --source-partition P --post|--void</c> (system role): settles the source hold of a
/// cross-partition transfer that ended with <c>StepOutcomeForgotten</c> — the sequencer stops such a saga without
/// touching its hold (docs/SAGA.md), and an operator decides from the destination's journal or read model whether the
/// credit applied: then post (the money moves on), else void (it returns). The step ids are the sequencer's own
/// (post = step 3, void = step 5 of the saga), so a repeat is idempotent and the clearing accounts stay balanced.
/// </summary>
internal static class SagaCommand
{
    public static Command Create()
    {
        var command = new Command("saga", "Operator tools for cross-partition transfers");
        command.Subcommands.Add(Resolve());
        return command;
    }

    private static Command Resolve()
    {
        var common = new ClientVerb();
        var saga = new Argument<string>("saga") { Description = "Saga id (error 601 in the node's log names it)" };
        var source = new Option<int>("--source-partition") { Description = "The partition of the transfer's debit account (601 names it)", Required = true };
        var post = new Option<bool>("--post") { Description = "The credit applied: post the source hold" };
        var voidHold = new Option<bool>("--void") { Description = "The credit did not apply: void the source hold" };
        var command = new Command("resolve", "Post or void the source hold a saga with an unknown outcome left (system role, e.g. --user saga-peer)")
        {
            saga, source, post, voidHold,
        };
        common.AddTo(command);
        command.SetAction((parse, cancel) =>
        {
            string sagaText = parse.GetValue(saga)!;
            if (!ulong.TryParse(sagaText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong sagaId) || sagaId == 0)
            {
                Console.Error.WriteLine($"wallet saga resolve: '{sagaText}' is not a saga id (a positive decimal number)");
                return Task.FromResult(ExitCodes.InvalidConfiguration);
            }
            int partition = parse.GetValue(source);
            if (partition is < 0 or >= ushort.MaxValue)
            {
                Console.Error.WriteLine("wallet saga resolve: --source-partition must be 0..65534");
                return Task.FromResult(ExitCodes.InvalidConfiguration);
            }
            bool doPost = parse.GetValue(post);
            if (doPost == parse.GetValue(voidHold))
            {
                Console.Error.WriteLine("wallet saga resolve: give exactly one of --post (the credit applied) or --void (it did not)");
                return Task.FromResult(ExitCodes.InvalidConfiguration);
            }
            return common.RunAsync(parse, async (client, _) =>
            {
                UInt128 hold = SystemIds.StepTransferId(sagaId, 1);
                var step = new Transfer
                {
                    Id = SystemIds.StepTransferId(sagaId, doPost ? 3 : 5),
                    PendingId = hold,
                    UserData64 = sagaId,
                    UserData32 = doPost ? 3u : 5u,
                    // No FenceIfAbsent: a hold that is not there is an operator's wrong saga id or partition, said as such.
                    Flags = doPost ? TransferFlags.PostPendingTransfer : TransferFlags.VoidPendingTransfer,
                };
                CreateResult[] results = await client.SystemTransfersAsync(partition, new[] { step }).ConfigureAwait(false);
                ResultCode code = results.Length == 1 ? results[0].Code : ResultCode.MalformedPayload;
                bool done = code is ResultCode.Ok or ResultCode.Exists;
                string what = doPost ? "posted" : "voided";
                if (parse.GetValue(common.Json))
                {
                    Console.Out.WriteLine(JsonSerializer.Serialize(new { saga = sagaId.ToString(CultureInfo.InvariantCulture), action = doPost ? "post" : "void", result = code.ToString() }));
                }
                else if (done)
                {
                    Console.Out.WriteLine(code == ResultCode.Ok ? $"saga {sagaId}: source hold {what}" : $"saga {sagaId}: source hold already {what} (a repeat)");
                }
                else
                {
                    Console.Error.WriteLine($"wallet saga resolve: saga {sagaId}: not {what}: {code}{Hint(code)}");
                }
                return done ? ExitCodes.Ok : ExitCodes.Rejected;
            });
        });
        return command;
    }

    private static string Hint(ResultCode code) => code switch
    {
        ResultCode.PendingTransferAlreadyPosted => " (the hold was posted before)",
        ResultCode.PendingTransferAlreadyVoided => " (the hold was voided before)",
        ResultCode.PendingTransferNotFound or ResultCode.StepOutcomeForgotten => " (no such hold on this partition: check the saga id and --source-partition)",
        _ => string.Empty,
    };
}
