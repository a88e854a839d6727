"""Show or change a year's 评分规则 from the command line, with the page's validation and re-evaluation."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from projects import evaluation, rulesets
from projects.forms import ScoringRulesForm
from projects.models import ScoringRules

# The names people use for a rule where they differ from the field's.
ALIASES = {"funding_score_precision": "funding_score_places"}
TRUE, FALSE = {"1", "true", "yes", "on", "是"}, {"0", "false", "no", "off", "否", ""}


def shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


class Command(BaseCommand):
    help = (
        "显示或修改某一评价年度的评分规则：--show 每行一个“键 = 值”；--set 键=值 …（如 funding_score_precision=2，"
        "0 为整数分、2 为保留两位小数）。修改与设置页面同样校验，并重新计算该年度未审核的自评表。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="评价年度（默认：最近有自评表的年度）")
        parser.add_argument("--show", action="store_true", help="显示规则（默认）")
        parser.add_argument("--set", dest="changes", nargs="+", metavar="KEY=VALUE", default=[], help="要修改的规则")

    def handle(self, *args, year=None, show=False, changes=(), **options):
        year = year or rulesets.default_year()
        if not 2000 <= year <= 2100:
            raise CommandError(f"评价年度 {year} 不在 2000–2100 之间")
        if changes:
            self._change(year, changes)
        rules = ScoringRules.objects.filter(year=year).first() or evaluation.starting_rules(year)
        if show or not changes:
            for name in ScoringRules.RULE_FIELDS:
                self.stdout.write(f"{name} = {shown(getattr(rules, name))}")
            self.stdout.write(f"version = {rules.version if rules.pk else 0}")

    def _change(self, year: int, pairs):
        rules = evaluation.rules_row(year)
        data = {name: shown(getattr(rules, name)) for name in ScoringRules.RULE_FIELDS}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            key = ALIASES.get(key.strip(), key.strip())
            if not sep or key not in data:
                known = "、".join([*ScoringRules.RULE_FIELDS, *ALIASES])
                raise CommandError(f"“{pair}”不是 键=值，或没有这个键。可用的键：{known}")
            data[key] = value.strip()
        for name in ScoringRules.RULE_FIELDS:
            if isinstance(getattr(rules, name), bool):
                flag = data[name].lower()
                if flag not in TRUE | FALSE:
                    raise CommandError(f"{name} 只能是 true 或 false，现在是“{data[name]}”")
                data[name] = "on" if flag in TRUE else ""
        form = ScoringRulesForm(data, instance=rules)
        if not form.is_valid():
            problems = [
                f"{name if name != '__all__' else '规则'}：{message}"
                for name, messages in form.errors.items()
                for message in messages
            ]
            raise CommandError("评分规则未修改：" + "；".join(problems))
        job = rulesets.change(None, evaluation.rules_row(year), form.rule_values())
        if job is None:
            self.stdout.write(f"{year} 年度评分规则没有变化。")
            return
        # The same job the page queues, run here and now (the worker finds it taken and leaves it).
        done = rulesets.run_reevaluation.call(job.pk)
        self.stdout.write(f"{year} 年度评分规则已改为第 {job.rules_version} 版，已重新计算 {done} 份未审核的自评表。")
