/**
 * Checks of the governance part of the packaged template: the window-end schedule, the alarms' shape, and what the
 * dashboard shows. Each returns the problems it finds (empty: fine), like tests/support/template-checks.ts.
 */
import { type CfnTemplate, resourcesOfType, roleStatements } from './template-checks';

function props(template: CfnTemplate, id: string): Record<string, unknown> {
  return template.Resources[id]?.Properties ?? {};
}

/**
 * AWS's recommended alarm shape: evaluated over M periods and alarming on N of them (N <= M, both set), with
 * missing data not breaching (a function that did not run is no incident), and notifying when a topic is set.
 */
export function checkAlarmShape(template: CfnTemplate, id: string): string[] {
  const alarm = template.Resources[id];
  if (alarm?.Type !== 'AWS::CloudWatch::Alarm') return [`${id}: no such alarm`];
  const p = props(template, id);
  const problems: string[] = [];
  const m = p['EvaluationPeriods'];
  const n = p['DatapointsToAlarm'];
  if (typeof m !== 'number' || typeof n !== 'number' || n > m) problems.push(`${id}: not N of M datapoints (${String(n)} of ${String(m)})`);
  if (p['TreatMissingData'] !== 'notBreaching') problems.push(`${id}: missing data is ${String(p['TreatMissingData'])}, not notBreaching`);
  if (p['AlarmActions'] === undefined) problems.push(`${id}: no alarm actions`);
  return problems;
}

/** The dashboard's body with its Fn::Sub placeholders left in (they only stand for names, never for structure). */
export function dashboardBody(template: CfnTemplate): { widgets: Array<{ type: string; properties: Record<string, unknown> }> } {
  const [, dashboard] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard')[0] ?? [];
  const body = (dashboard?.Properties?.['DashboardBody'] as { 'Fn::Sub'?: string } | undefined)?.['Fn::Sub'];
  if (typeof body !== 'string') throw new Error('no dashboard with an Fn::Sub body in the template');
  // A placeholder in a number position (no quotes) is made a number so the JSON parses.
  return JSON.parse(body.replace(/:\s*\$\{[^}]+\}/g, ': 0')) as ReturnType<typeof dashboardBody>;
}

/** Metric names the dashboard's metric widgets show in `namespace`. */
export function dashboardMetricNames(template: CfnTemplate, namespace: string): string[] {
  const names = dashboardBody(template).widgets.flatMap((widget) =>
    widget.type !== 'metric'
      ? []
      : ((widget.properties['metrics'] as unknown[][] | undefined) ?? []).flatMap((row) =>
          row[0] === namespace && typeof row[1] === 'string' ? [row[1]] : [],
        ),
  );
  return [...new Set(names)].sort();
}

/** The one-minute EventBridge Scheduler schedule of the window-end function, and a role that may only invoke it. */
export function checkWindowEndSchedule(template: CfnTemplate): string[] {
  const schedules = resourcesOfType(template, 'AWS::Scheduler::Schedule');
  const [id, schedule] =
    schedules.find(([, candidate]) => JSON.stringify(candidate.Properties?.['Target']).includes('WindowEndLambdaFunction')) ?? [];
  if (id === undefined || schedule === undefined) return ['no AWS::Scheduler::Schedule targets WindowEndLambdaFunction'];
  const p = schedule.Properties ?? {};
  const problems: string[] = [];
  if (p['ScheduleExpression'] !== 'rate(1 minute)')
    problems.push(`${id}: ScheduleExpression ${String(p['ScheduleExpression'])}, want rate(1 minute)`);
  if ((p['FlexibleTimeWindow'] as { Mode?: string } | undefined)?.Mode !== 'OFF')
    problems.push(`${id}: a flexible time window delays the tick`);
  const roleId = ((p['Target'] as { RoleArn?: { 'Fn::GetAtt'?: string[] } } | undefined)?.RoleArn?.['Fn::GetAtt'] ?? [])[0];
  const role = roleId === undefined ? undefined : template.Resources[roleId];
  if (role === undefined) return [...problems, `${id}: its target role is not a role of this stack`];
  if (!JSON.stringify(role.Properties?.['AssumeRolePolicyDocument']).includes('scheduler.amazonaws.com'))
    problems.push(`${roleId}: not assumable by scheduler.amazonaws.com`);
  for (const statement of roleStatements(role)) {
    const actions = ([] as string[]).concat(statement.Action ?? []);
    if (actions.some((action) => action !== 'lambda:InvokeFunction')) problems.push(`${roleId}: grants ${actions.join(', ')}`);
    const resources = JSON.stringify(statement.Resource);
    if (!resources.includes('-windowEnd') || resources.includes('"*"')) problems.push(`${roleId}: may invoke ${resources}`);
  }
  return problems;
}
