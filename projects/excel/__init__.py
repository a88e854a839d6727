"""The 财政项目支出绩效自评表 as an Excel workbook (.xlsx): export, empty template, import and the 汇总表.

Modules: `layout` (where each part of the form sits: the one map the writer and the reader share), `writer`,
`reader`, `summary`.

Layout (one sheet per form, columns A–I as printed, merged cells as printed):

    1  财政项目支出绩效自评表                                   (A:I merged)
    2  （2022 年度）                                             (A:I merged)
    3  项目名称 (A:B) | name (C:I)                  K 项目编码 | L code
    4  主管部门 (A:B) | department (C:E) | 实施单位 (F) | unit (G:I)
    5  项目资金（万元） (A5:A9) | – | 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分 (H:I)
    6–9  年度资金总额 / 其中：当年财政拨款 / 上年结转资金 / 其他资金 (分值, 执行率, 得分 on the total row)
    10 年度总体目标 (A10:A11) | 预期目标 (B:D) | 实际完成情况 (E:I)
    11 goal_expected (B:D) | goal_actual (E:I)
    12 绩效指标 (A12:A…) | 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分
       | 偏差原因分析及改进措施
       K–O (not printed): 指标性质 | 度量单位 | 目标数值 | 完成数值 | 达成程度, the optional scoring fields
    …  one row per indicator, 一级 merged over its rows, 二级 over equal neighbours
    n  总分 (A:F) | 分值合计 | 总分
    then, after a blank row, a block headed 系统计算 (what the system computes; an import stops there).

The 执行率 and 总分 cells hold what the unit entered: the printed text when the form carries one
(projects.models.SelfAssessment.printed_*), otherwise the figure itself (as a number). On import a number
that equals what the system computes is not stored as "printed"; anything else is kept as the unit's own
figure, so that the checks compare it and nothing the unit wrote is silently replaced.

Import is defensive: the file must be a real .xlsx (zip magic, the workbook part and its content type), not
too large, with bounded uncompressed parts, sheets, rows and columns; formulas are refused (never
evaluated: openpyxl does not compute them, and a formula cell is reported as an error, not read as its
cached value); XML is parsed through defusedxml. Every problem names the sheet, row and column, then the
workbook is turned into the interchange format and imported by projects.interchange, so that the rules of
the format live in one place.
"""
