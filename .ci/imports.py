#!/usr/bin/env python3
"""The architecture's import rules (ARCHITECTURE.md, Invariants): no circle of
imports between modules (a child using its parent's helpers is not a circle),
ops does not import collect, and nothing outside connect/ names a redis-rs
connection type. Reads the `crate::` and `super::` paths of every file."""
import re,os,sys
root='src'
mods={}
for dp,_,fs in os.walk(root):
    for f in fs:
        if not f.endswith('.rs'): continue
        p=os.path.join(dp,f)[4:-3]
        parts=p.split('/')
        if parts[-1] in ('mod','lib','main'): parts=parts[:-1]
        mods['::'.join(parts)]=os.path.join(dp,f)
def resolve(path):
    # longest known module prefix
    segs=path.split('::')
    for n in range(len(segs),0,-1):
        m='::'.join(segs[:n])
        if m in mods: return m
    return None
edges=set()
for m,f in mods.items():
    text=open(f).read()
    text=re.sub(r'#\[cfg\(test\)\]\s*mod tests \{.*','',text,flags=re.S)
    for ref in re.findall(r'crate::([a-z_]+(?:::[a-z_]+)*)',text):
        t=resolve(ref)
        if t and t!=m and not m.startswith(t+'::') and not t.startswith(m+'::'): edges.add((m,t))
    for ref in re.findall(r'\bsuper::([a-z_]+)',text):
        parent='::'.join(m.split('::')[:-1])
        t=resolve((parent+'::' if parent else '')+ref)
        if t and t!=m and not m.startswith(t+'::') and not t.startswith(m+'::'): edges.add((m,t))
def lift(a,b):
    """Both ends as siblings under their lowest common ancestor: a use of
    ui::panes::pending from ui::app is ui::app -> ui::panes."""
    x,y=a.split('::'),b.split('::')
    n=0
    while n<min(len(x),len(y)) and x[n]==y[n]: n+=1
    return '::'.join(x[:n+1]),'::'.join(y[:n+1])
g={}
for a,b in edges:
    a,b=lift(a,b)
    if a!=b: g.setdefault(a,set()).add(b)
# cycles via Tarjan
idx={};low={};st=[];on=set();sccs=[];i=[0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v]=low[v]=i[0];i[0]+=1;st.append(v);on.add(v)
    for w in g.get(v,()):
        if w not in idx: sc(w);low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        c=[]
        while True:
            w=st.pop();on.discard(w);c.append(w)
            if w==v:break
        if len(c)>1: sccs.append(c)
for v in list(g):
    if v not in idx: sc(v)
bad=[]
if sccs: bad.append(f"import circles: {sccs}")
oc=[e for e in edges if e[0].startswith('ops') and e[1].startswith('collect')]
if oc: bad.append(f"ops imports collect: {oc}")
for m,f in mods.items():
    if m.startswith('connect'): continue
    t=open(f).read()
    for name in ('MultiplexedConnection','redis::aio','ConnectionManager','redis::Client'):
        if name in t: bad.append(f"{f} names a redis-rs connection type ({name}) outside connect/")
for b in bad: print('import check:', b)
if bad: sys.exit(1)
print(f"import check: {len(mods)} modules, {len(edges)} edges, no circles; ops does not import collect; connections stay in connect/")
