/**
 * Secrets never reach the log or the Run File terminal: Spark's own redaction of conf values,
 * and the log's redaction of URLs, query parameters and headers, on inputs that broke the first
 * versions (a password holding `@` or `/`, encoded names, several URLs on one line).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { redact } from '../../src/sources/http';
import { REDACTED_VALUE, sparkRedacts } from '../../src/model/redaction';
import { buildSubmitCommand, commandLine } from '../../src/launcher/submitCommand';

describe("Spark's redaction of conf values", () => {
  test('keys or values matching spark.redaction.regex are redacted, as Spark prints them', () => {
    for (const k of ['spark.hadoop.fs.s3a.secret.key', 'spark.hadoop.fs.s3a.access.key', 'spark.hadoop.fs.s3a.accesskey', 'spark.ssl.keyPassword', 'spark.authenticate.secret', 'spark.kubernetes.authenticate.oauthToken', 'AWS_SESSION_TOKEN', 'spark.hadoop.google.cloud.auth.service.account.json.keyfile.CREDENTIAL']) {
      assert.equal(sparkRedacts(k, 'x'), true, k);
    }
    // The value matches: a JDBC URL with a password in it.
    assert.equal(sparkRedacts('spark.db.url', 'jdbc:postgresql://h/db?user=a&password=b'), true);
    for (const k of ['spark.driver.memory', 'spark.ui.port', 'spark.sql.shuffle.partitions', 'spark.hadoop.fs.s3a.endpoint']) assert.equal(sparkRedacts(k, '2g'), false, k);
    assert.equal(REDACTED_VALUE, '*********(redacted)');
  });

  test('the Run File command line shows redacted values; the process gets the real ones', () => {
    const cmd = buildSubmitCommand({
      sparkSubmit: '/opt/spark/bin/spark-submit', file: '/w/job.py', master: 'local[2]', uiPort: 4040, eventLogDir: '/tmp/ev', hookDir: '/ext/python',
      extraConf: { 'spark.hadoop.fs.s3a.secret.key': 'wJalrXUtnFEMI/K7MDENG', 'spark.hadoop.fs.s3a.access.key': 'AKIAIOSFODNN7', 'spark.driver.memory': '2g', 'spark.kubernetes.authenticate.oauthToken': 'ey.tok' },
      env: { AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG', HOLD_SECONDS: '5' },
    });
    assert.ok(cmd.args.includes('spark.hadoop.fs.s3a.secret.key=wJalrXUtnFEMI/K7MDENG'), 'spark-submit gets the real value');
    assert.equal(cmd.env.AWS_SECRET_ACCESS_KEY, 'wJalrXUtnFEMI/K7MDENG');
    const shown = commandLine(cmd);
    for (const secret of ['wJalrXUtnFEMI', 'AKIAIOSFODNN7', 'ey.tok']) assert.ok(!shown.includes(secret), `${secret} in ${shown}`);
    assert.ok(shown.includes(`--conf 'spark.hadoop.fs.s3a.secret.key=*********(redacted)'`), shown);
    assert.ok(shown.includes(`AWS_SECRET_ACCESS_KEY='*********(redacted)'`), shown);
    assert.ok(shown.includes('--conf spark.driver.memory=2g'), shown);
    assert.ok(shown.includes('HOLD_SECONDS=5'), shown);
  });

  test("the job's own spark.redaction.regex is honoured too", () => {
    const cmd = buildSubmitCommand({
      sparkSubmit: 's', file: '/w/job.py', master: 'local', uiPort: 4040, eventLogDir: '/e', hookDir: '/h',
      extraConf: { 'spark.redaction.regex': '(?i)secret|password|token|access[.]?key|mycorp', 'spark.mycorp.id': 'abc123' },
    });
    assert.ok(!commandLine(cmd).includes('abc123'));
  });
});

describe('redaction of text meant for logs', () => {
  test('userinfo is removed whole, whatever the password holds', () => {
    assert.equal(redact('GET https://alice:p@ss@spark.example/api failed'), 'GET https://***@spark.example/api failed');
    assert.equal(redact('GET https://alice:p@ss/w@rd@spark.example/api failed'), 'GET https://***@spark.example/api failed');
    assert.equal(redact('https://alice:p%40ss%2Fw%3Ard@h.example:8443/x'), 'https://***@h.example:8443/x');
    assert.equal(redact('https://alice:a:b:c@h.example'), 'https://***@h.example');
    assert.equal(redact('https://ghp_TOKEN123@github.example/repo'), 'https://***@github.example/repo');
    // A `?` or `#` in a raw password would end the authority for a URL parser.
    assert.equal(redact('https://alice:p?x#y@h.example/x'), 'https://***@h.example/x');
  });

  test('URLs without userinfo are left as they are, an @ in the path and a port included', () => {
    for (const t of ['http://127.0.0.1:4040/api/v1/applications', 'https://h.example:8443/users/bob@example.com/x', 'see https://h.example/a?b=1&c=2.']) {
      assert.equal(redact(t), t);
    }
  });

  test('several URLs on one line are each redacted', () => {
    assert.equal(
      redact('tried https://u:p1@a.example/x?token=t1 then http://v:p2@b.example:9090/y?sig=s2&step=15 (both failed)'),
      'tried https://***@a.example/x?token=*** then http://***@b.example:9090/y?sig=***&step=15 (both failed)',
    );
  });

  test('sensitive query and fragment parameters by name, encoded names included; other parameters kept', () => {
    const t = redact('https://s3.example/b/o?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F2024&X-Amz-Signature=abc123&X-Amz-Security-Token=FQo&X-Amz-Date=20240101');
    assert.equal(t, 'https://s3.example/b/o?X-Amz-Algorithm=AWS4&X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***&X-Amz-Date=20240101');
    assert.equal(redact('cb#access_token=ey.J&id_token=ey.K&state=s1'), 'cb#access_token=***&id_token=***&state=s1');
    assert.equal(redact('GET /api?access%5Ftoken=abc&query=up'), 'GET /api?access%5Ftoken=***&query=up');
    for (const name of ['token', 'refresh_token', 'api_key', 'apikey', 'apiKey', 'key', 'secret', 'client_secret', 'password', 'passwd', 'pwd', 'sig', 'signature', 'jwt', 'auth', 'authorization', 'session', 'JSESSIONID', 'code', 'credential']) {
      assert.equal(redact(`u?${name}=s3cr3t&x=1`), `u?${name}=***&x=1`, name);
    }
    for (const name of ['query', 'step', 'start', 'monkey', 'keys', 'status']) assert.equal(redact(`u?${name}=v`), `u?${name}=v`, name);
  });

  test('key= in a path is not a parameter; ;token= of a Spark Connect URL is', () => {
    assert.equal(redact('https://h.example/api/key=abc/x'), 'https://h.example/api/key=abc/x');
    assert.equal(redact('sc://h.example:15002/;user_id=me;token=abc'), 'sc://h.example:15002/;user_id=me;token=***');
  });

  test('credential headers, as text and as JSON', () => {
    assert.equal(redact('Authorization: Bearer abc.def'), 'Authorization: Bearer ***');
    assert.equal(redact('Proxy-Authorization: Basic dTpw'), 'Proxy-Authorization: Basic ***');
    assert.equal(redact('Cookie: a=1; session=xyz\nnext line'), 'Cookie: ***\nnext line');
    assert.equal(redact('set-cookie: JSESSIONID=abc; Path=/'), 'set-cookie: ***');
    assert.equal(redact('X-Api-Key: k123'), 'X-Api-Key: ***');
    assert.equal(redact('{"headers":{"Cookie":"a=1; b=2","x-api-key":"k1","Accept":"application/json"}}'), '{"headers":{"Cookie":"***","x-api-key":"***","Accept":"application/json"}}');
  });

  test('Spark conf assignments in text', () => {
    assert.equal(redact('--conf spark.hadoop.fs.s3a.secret.key=wJal/K7 --conf spark.driver.memory=2g'), `--conf spark.hadoop.fs.s3a.secret.key=${REDACTED_VALUE} --conf spark.driver.memory=2g`);
  });
});
