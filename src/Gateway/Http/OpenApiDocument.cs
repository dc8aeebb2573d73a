namespace Wallet.Gateway.Http;

/// <summary>
/// The OpenAPI 3.1 description of the HTTP API, served at /openapi/v1.json. Written by hand next to the routes
/// (the request bodies are parsed strictly by <see cref="JsonBody"/>, not bound from types, so a generator would
/// not see them); the HTTP tests check that every route it lists answers.
/// </summary>
public static class OpenApiDocument
{
    public const string Json = """
{
  "openapi": "3.1.0",
  "info": { "title": "Wallet engine HTTP API", "version": "1.0.0",
    "description": "Amounts are decimal strings in the currency's scale (\"12.34\"); a JSON number for an amount is refused. Ids are unsigned 128-bit integers: decimal strings (or UUID strings, or JSON integers on input). Errors are RFC 9457 Problem Details with our code in 'code' and, for ledger rejections, 'result_code'. Each read says whether it is exact (from the partition's state machine) or from the read model, with the position it reflects." },
  "security": [ { "bearer": [] }, { "basic": [] }, { "apiKey": [] } ],
  "components": {
    "securitySchemes": {
      "bearer": { "type": "http", "scheme": "bearer", "description": "Bearer NAME:KEY" },
      "basic": { "type": "http", "scheme": "basic" },
      "apiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "NAME:KEY" }
    },
    "schemas": {
      "Id": { "type": "string", "pattern": "^(0|[1-9][0-9]{0,38})$" },
      "Amount": { "type": "string", "pattern": "^(0|[1-9][0-9]*)(\\.[0-9]+)?$" },
      "Problem": { "type": "object", "properties": { "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" }, "code": { "type": "string" }, "result_code": { "type": "integer" }, "leader_http": { "type": "string", "description": "NotLeader: the leader's HTTP API base URL, when published" }, "leader_gateway": { "type": "string", "description": "NotLeader: the leader's SBE gateway, host:port" }, "leader_term": { "type": "integer", "description": "NotLeader: the term the leader was known in" } } },
      "Source": { "type": "object", "properties": { "kind": { "enum": ["exact", "view"] }, "index": { "type": "integer" }, "timestamp": { "type": "integer" } } },
      "Balances": { "type": "object", "properties": { "debits_pending": { "$ref": "#/components/schemas/Amount" }, "debits_posted": { "$ref": "#/components/schemas/Amount" }, "credits_pending": { "$ref": "#/components/schemas/Amount" }, "credits_posted": { "$ref": "#/components/schemas/Amount" }, "balance": { "type": "string", "description": "credits_posted - debits_posted" } } },
      "TransferRequest": { "type": "object", "additionalProperties": false, "required": ["from_account", "to_account", "amount", "currency", "transaction_id"],
        "properties": { "from_account": { "$ref": "#/components/schemas/Id" }, "to_account": { "$ref": "#/components/schemas/Id" }, "amount": { "$ref": "#/components/schemas/Amount" }, "currency": { "type": "string" }, "transaction_id": { "$ref": "#/components/schemas/Id" }, "code": { "type": "integer", "minimum": 0, "maximum": 65535 }, "user_data_128": { "$ref": "#/components/schemas/Id" } } },
      "AccountRequest": { "type": "object", "additionalProperties": false, "required": ["id", "currency"],
        "properties": { "id": { "$ref": "#/components/schemas/Id" }, "currency": { "type": "string" }, "code": { "type": "integer" }, "flags": { "type": "array", "items": { "enum": ["debits_must_not_exceed_credits", "credits_must_not_exceed_debits", "history"] } }, "user_data_128": { "$ref": "#/components/schemas/Id" }, "user_data_32": { "type": "integer" } } },
      "CommandResult": { "type": "object", "properties": { "id": { "$ref": "#/components/schemas/Id" }, "result": { "type": "string", "description": "Ok, or Exists for a repeat of the same request" }, "index": { "type": "integer" }, "timestamp": { "type": "integer" } } },
      "Account": { "type": "object", "properties": { "id": { "$ref": "#/components/schemas/Id" }, "currency": { "type": "string" }, "ledger": { "type": "integer" }, "code": { "type": "integer" }, "flags": { "type": "array", "items": { "type": "string" } }, "user_data_128": { "type": "string" }, "user_data_64": { "type": "integer" }, "user_data_32": { "type": "integer" }, "timestamp": { "type": "integer" }, "balances": { "$ref": "#/components/schemas/Balances" }, "source": { "$ref": "#/components/schemas/Source" } } },
      "Transfer": { "type": "object", "properties": { "id": { "type": "string" }, "debit_account": { "type": "string" }, "credit_account": { "type": "string" }, "amount": { "$ref": "#/components/schemas/Amount" }, "currency": { "type": "string" }, "status": { "enum": ["posted", "pending", "pending_posted", "pending_voided", "pending_expired"] }, "source": { "$ref": "#/components/schemas/Source" } } },
      "History": { "type": "object", "properties": { "account_id": { "type": "string" }, "currency": { "type": "string" }, "order": { "enum": ["asc", "desc"] }, "rows": { "type": "array", "items": { "type": "object", "properties": { "index": { "type": "integer" }, "ordinal": { "type": "integer" }, "timestamp": { "type": "integer" }, "time": { "type": "string" }, "event": { "type": "string" }, "side": { "enum": ["account", "debit", "credit"] }, "transfer_id": { "type": "string" }, "counterparty": { "type": "string" }, "amount": { "$ref": "#/components/schemas/Amount" }, "balances_after": { "$ref": "#/components/schemas/Balances" } } } }, "next_cursor": { "type": "string" }, "source": { "$ref": "#/components/schemas/Source" } } },
      "BalanceAt": { "type": "object", "properties": { "account_id": { "type": "string" }, "found": { "type": "boolean" }, "at_index": { "type": "integer" }, "at_timestamp": { "type": "integer" }, "change_index": { "type": "integer" }, "change_timestamp": { "type": "integer" }, "balances": { "$ref": "#/components/schemas/Balances" }, "source": { "$ref": "#/components/schemas/Source" } } }
    },
    "responses": {
      "Problem": { "description": "Problem Details", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
    }
  },
  "paths": {
    "/v1/wallet/balance_transfer": { "post": { "summary": "Move money between two accounts (idempotent by transaction_id)",
      "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/TransferRequest" } } } },
      "responses": { "200": { "description": "Committed (result Ok) or a repeat (result Exists)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CommandResult" } } } },
        "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }, "413": { "$ref": "#/components/responses/Problem" }, "415": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }, "503": { "$ref": "#/components/responses/Problem" }, "504": { "$ref": "#/components/responses/Problem" } } } },
    "/v1/accounts": {
      "post": { "summary": "Create an account (admin)", "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AccountRequest" } } } },
        "responses": { "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CommandResult" } } } }, "200": { "description": "Already exists with the same fields" }, "409": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" } } },
      "get": { "summary": "Accounts by user_data_128 (admin, read model)", "parameters": [ { "name": "user_data_128", "in": "query", "required": true, "schema": { "type": "string" } }, { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }, { "name": "after", "in": "query", "schema": { "type": "string" } } ],
        "responses": { "200": { "description": "Accounts" } } } },
    "/v1/accounts/{id}": { "get": { "summary": "An account with its balances: exact from the partition (default) or from the read model",
      "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }, { "name": "source", "in": "query", "schema": { "enum": ["exact", "view"] } } ],
      "responses": { "200": { "description": "The account", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Account" } } } }, "404": { "$ref": "#/components/responses/Problem" } } } },
    "/v1/accounts/{id}/close": { "post": { "summary": "Close an account (admin)", "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } } ],
      "responses": { "200": { "description": "Closed" }, "404": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" } } } },
    "/v1/accounts/{id}/history": { "get": { "summary": "Account history with the running balance after every change (read model)",
      "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }, { "name": "from", "in": "query", "schema": { "type": "string" }, "description": "RFC 3339 or ns since the epoch, inclusive" }, { "name": "to", "in": "query", "schema": { "type": "string" } }, { "name": "order", "in": "query", "schema": { "enum": ["desc", "asc"] } }, { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }, { "name": "cursor", "in": "query", "schema": { "type": "string" } } ],
      "responses": { "200": { "description": "One page", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/History" } } } } } } },
    "/v1/accounts/{id}/balance_at": { "get": { "summary": "Balances as of a log index or a time (read model; same answer as a replay)",
      "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }, { "name": "index", "in": "query", "schema": { "type": "integer" } }, { "name": "time", "in": "query", "schema": { "type": "string" } }, { "name": "timestamp_ns", "in": "query", "schema": { "type": "integer" } } ],
      "responses": { "200": { "description": "The balances", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/BalanceAt" } } } }, "503": { "$ref": "#/components/responses/Problem" } } } },
    "/v1/transfers/{id}": { "get": { "summary": "A transfer: exact (default) or from the read model (with its status)",
      "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }, { "name": "source", "in": "query", "schema": { "enum": ["exact", "view"] } } ],
      "responses": { "200": { "description": "The transfer", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Transfer" } } } }, "404": { "$ref": "#/components/responses/Problem" } } } },
    "/v1/readmodel": { "get": { "summary": "The read model's position, lag and state (one partition's; default 0)", "parameters": [ { "name": "partition", "in": "query", "schema": { "type": "integer", "minimum": 0 } } ], "responses": { "200": { "description": "State" }, "400": { "description": "No such partition" } } } },
    "/health": { "get": { "summary": "Liveness (no authentication)", "security": [], "responses": { "200": { "description": "Alive" } } } },
    "/ready": { "get": { "summary": "Readiness: the partition accepts commands (no authentication)", "security": [], "responses": { "200": { "description": "Ready" }, "503": { "description": "Not ready" } } } },
    "/openapi/v1.json": { "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI 3.1" } } } }
  }
}
""";
}
