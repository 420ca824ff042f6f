"""How the analysis writes its tables as text.

Every CSV file of the analysis (runs.csv, summary.csv, pai.csv, lmc.csv,
instability.csv and the interpolation paths) is written by `csv_text`, with
'\n' line ends whatever the platform; every Markdown table of the pages by
`markdown`.
"""

import csv
import io


def csv_text(header, rows):
  """CSV text of a header row and rows of cells."""
  buffer = io.StringIO()
  csv.writer(buffer, lineterminator='\n').writerows([header] + list(rows))
  return buffer.getvalue()


def markdown(header, rows, rule=None):
  """Lines of a Markdown table: the header, its rule (`rule`, a '---' or
  '---:' per column; default all '---') and a line per row of cells."""
  return [_line(header), '|' + '|'.join(rule or ['---'] * len(header)) + '|'
         ] + [_line(row) for row in rows]


def _line(cells):
  return '| ' + ' | '.join(str(cell) for cell in cells) + ' |'
