"""Runs notebooks/simulator.ipynb in one live Deno kernel through Jupyter's kernel host, three times:
as written, with "shield" added to ITEMS and the heatmaps switched to medkits on 10 x 10 cells, and
again unchanged (a re-upload). Prints a JSON report per pass: error messages, how many outputs
carried a chart bundle (Vega-Lite, and a PNG with its size, no SVG), and all text shown.
Used by tests/notebook_test.ts; the server URL and output folder come from the environment. With a
fourth argument, a scenario name, it runs one pass with SCENARIO set to it instead."""
import json
import sys

from jupyter_client.manager import start_new_kernel


def main(notebook_path, cwd, passes=3, scenario=None):
    with open(notebook_path) as handle:
        cells = [''.join(cell['source']) for cell in json.load(handle)['cells'] if cell['cell_type'] == 'code']
    manager, client = start_new_kernel(kernel_name='deno', cwd=cwd)
    try:
        if scenario:
            cells = [source.replace('const SCENARIO = "classic"', f'const SCENARIO = "{scenario}"') for source in cells]
            print(json.dumps([run_all(client, cells)]))
            return
        with_shield = [
            source.replace('"gold_coin"]', '"gold_coin", "shield"]')
            .replace('HEATMAP_ITEM = "rubber_duck"', 'HEATMAP_ITEM = "medkit"')
            .replace('HEATMAP_BINS = 20', 'HEATMAP_BINS = 10')
            for source in cells
        ]
        report = [run_all(client, cells), run_all(client, with_shield), run_all(client, with_shield)][:passes]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    print(json.dumps(report))


def run_all(client, sources):
    result = {'errors': [], 'charts': 0, 'texts': []}
    for source in sources:
        msg_id = client.execute(source)
        while True:
            message = client.get_iopub_msg(timeout=300)
            if message['parent_header'].get('msg_id') != msg_id:
                continue
            kind, content = message['msg_type'], message['content']
            if kind == 'error':
                result['errors'].append(f"{content['ename']}: {content['evalue']}")
            elif kind in ('display_data', 'update_display_data', 'execute_result'):
                data = content['data']
                png_size = content.get('metadata', {}).get('image/png', {})
                if ('application/vnd.vegalite.v5+json' in data and 'image/png' in data
                        and 'image/svg+xml' not in data and png_size.get('width', 0) > 0):
                    result['charts'] += 1
                result['texts'].append(data.get('text/plain', ''))
            elif kind == 'stream':
                result['texts'].append(content['text'])
            elif kind == 'status' and content['execution_state'] == 'idle':
                break
    return result


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3,
         sys.argv[4] if len(sys.argv) > 4 else None)
